/**
 * What the hub answers about a gateway's configuration (GET /api/fleet): its desired config,
 * its last reported state, and whether the two agree (`sync`), built from the fleet store and
 * the hub's knowledge of the gateway's birth/will.
 */
import type { ConfigProblem, ConfigStatus } from '@ganzhi/device-profiles/contract';
import type { FleetStore, GatewayKey, StoredPush, StoredState } from './store.js';

export type FleetSync = 'unmanaged' | 'pending' | 'applied' | 'rejected' | 'rolled-back';

export interface FleetGateway {
  district: string;
  gateway: string;
  online: 'online' | 'offline' | 'unknown';
  /** the desired document's config.labels */
  labels: string[];
  desired: {
    version: number;
    hash: string;
    issuer: string | null;
    onBehalfOf: string | null;
    issued: number | null;
  } | null;
  state: {
    status: ConfigStatus;
    desiredVersion: number | null;
    appliedVersion: number;
    appliedHash: string | null;
    reason: string | null;
    problems: ConfigProblem[];
    ts: number;
  } | null;
  sync: FleetSync;
}

export type FleetHistoryEntry =
  | {
      kind: 'push';
      version: number;
      hash: string;
      issuer: string | null;
      onBehalfOf: string | null;
      issued: number | null;
      seen: number;
    }
  | {
      kind: 'state';
      status: ConfigStatus;
      desiredVersion: number | null;
      appliedVersion: number;
      appliedHash: string | null;
      reason: string | null;
      problems: ConfigProblem[];
      ts: number;
    };

export interface FleetGatewayDetail extends FleetGateway {
  /** the desired document (secrets are references), null when unmanaged */
  config: Record<string, unknown> | null;
  /** the last 50 pushes and states, newest first */
  history: FleetHistoryEntry[];
}

export const HISTORY_LIMIT = 50;

/** A push's final outcome is known once a state names its version with a final status, or applied it. */
export function syncOf(
  desired: { version: number; hash: string } | null,
  state: StoredState | null,
): FleetSync {
  if (desired === null) return 'unmanaged';
  if (state === null) return 'pending';
  if (state.status === 'applied' && state.appliedVersion >= desired.version) return 'applied';
  if (
    state.desiredVersion === desired.version &&
    (state.status === 'rejected' || state.status === 'rolled-back')
  )
    return state.status;
  return 'pending';
}

export { labelsOf } from './store.js';

const desiredView = (p: StoredPush): NonNullable<FleetGateway['desired']> => ({
  version: p.version,
  hash: p.hash,
  issuer: p.issuer,
  onBehalfOf: p.onBehalfOf,
  issued: p.issued,
});

const stateView = (s: StoredState): NonNullable<FleetGateway['state']> => ({
  status: s.status,
  desiredVersion: s.desiredVersion,
  appliedVersion: s.appliedVersion,
  appliedHash: s.appliedHash,
  reason: s.reason,
  problems: s.problems,
  ts: s.ts,
});

export function fleetGateway(
  store: FleetStore,
  ids: GatewayKey,
  online: FleetGateway['online'],
  opts: { unconfirmedSince?: number } = {},
): FleetGateway {
  return fleetGatewayWith(store, ids, online, opts).gateway;
}

/** The gateway's view and its desired document (null when unmanaged). */
export function fleetGatewayDetail(
  store: FleetStore,
  ids: GatewayKey,
  online: FleetGateway['online'],
  opts: { unconfirmedSince?: number } = {},
): Omit<FleetGatewayDetail, 'history'> {
  const { gateway, config } = fleetGatewayWith(store, ids, online, opts);
  return { ...gateway, config: config() };
}

function fleetGatewayWith(
  store: FleetStore,
  ids: GatewayKey,
  online: FleetGateway['online'],
  opts: { unconfirmedSince?: number },
): { gateway: FleetGateway; config: () => Record<string, unknown> | null } {
  const d = store.desired(ids, opts);
  const s = store.state(ids);
  return {
    gateway: {
      district: ids.district,
      gateway: ids.gateway,
      online,
      labels: d?.labels ?? [],
      desired: d ? desiredView(d) : null,
      state: s ? stateView(s) : null,
      sync: syncOf(d ?? null, s ?? null),
    },
    config: () => d?.config ?? null,
  };
}

export function fleetHistory(store: FleetStore, ids: GatewayKey, limit = HISTORY_LIMIT): FleetHistoryEntry[] {
  const h = store.history(ids, limit);
  const entries: { at: number; e: FleetHistoryEntry }[] = [
    ...h.pushes.map((p) => ({
      at: p.issued ?? p.seen,
      e: { kind: 'push' as const, ...desiredView(p), seen: p.seen },
    })),
    ...h.states.map((s) => ({ at: s.ts, e: { kind: 'state' as const, ...stateView(s) } })),
  ];
  entries.sort((a, b) => b.at - a.at);
  return entries.slice(0, limit).map((x) => x.e);
}
