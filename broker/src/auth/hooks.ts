/** All of Aedes' policy hooks: the CONNECT steps (connect-hooks.ts) and the ACL (acl-hooks.ts). */
import type { ClientStates } from '../client-state.js';
import { type AclHookDeps, type AclHooks, createAclHooks } from './acl-hooks.js';
import { type ConnectHookDeps, type ConnectHooks, createConnectHooks } from './connect-hooks.js';

export type Hooks = ConnectHooks & AclHooks;
export type HookDeps = ConnectHookDeps & AclHookDeps;

export function createHooks(deps: HookDeps, states: ClientStates): Hooks {
  return { ...createConnectHooks(deps, states), ...createAclHooks(deps, states) };
}
