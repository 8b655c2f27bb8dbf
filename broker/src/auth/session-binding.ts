/**
 * Binds client ids to identities at CONNECT (issue 13, finding 2): the id must be one of the
 * identity's forms (client-id-rules.ts), and its session must not be held by another user
 * (persistence/session-owners.ts). A user's claim on an id lasts while its session lives: a clean
 * session's claim is given up when its last connection on this broker closes; a persistent
 * session keeps it (the session is still there to be resumed).
 */
import type { Duplex } from 'node:stream';
import type { SessionOwners } from '../persistence/session-owners.js';
import { type ClientIdRules, clientIdRefusal } from './client-id-rules.js';
import type { Identity } from './identity.js';

export interface BindingRefusal {
  event: 'client_id_refused' | 'session_takeover_refused';
  why: string;
}

interface BoundClient {
  id: string;
  clean: boolean;
  conn: Duplex;
}

export class SessionBinding {
  readonly #rules: ClientIdRules;
  readonly #owners: SessionOwners;
  /** client id → connections on this broker holding a claim on it */
  readonly #live = new Map<string, number>();

  constructor(rules: ClientIdRules, owners: SessionOwners) {
    this.#rules = rules;
    this.#owners = owners;
  }

  /**
   * May `identity` connect as `client.id`? Resolves undefined when yes (and the claim is taken),
   * or why not. `brokerPicked`: the client sent an empty id and Aedes made a random one.
   */
  async bind(
    client: BoundClient,
    identity: Identity,
    brokerPicked: boolean,
  ): Promise<BindingRefusal | undefined> {
    const id = client.id;
    if (brokerPicked) return undefined;
    if (identity.role === 'anonymous') {
      // the demo's clients: any id, but not one an authenticated user's session holds
      const owner = await this.#owners.owner(id);
      return owner === undefined
        ? undefined
        : { event: 'session_takeover_refused', why: 'the session of this client id belongs to a user' };
    }
    const refused = clientIdRefusal(this.#rules, identity, id);
    if (refused !== undefined) return { event: 'client_id_refused', why: refused };
    if (!(await this.#owners.claim(id, identity.user))) {
      return {
        event: 'session_takeover_refused',
        why: 'the session of this client id belongs to another user',
      };
    }
    this.#live.set(id, (this.#live.get(id) ?? 0) + 1);
    const user = identity.user;
    client.conn.once('close', () => {
      const n = (this.#live.get(id) ?? 1) - 1;
      if (n > 0) {
        this.#live.set(id, n);
        return;
      }
      this.#live.delete(id);
      // a clean session ends with its connection: the id is free for its forms' users again
      if (client.clean) void this.#owners.release(id, user).catch(() => {});
    });
    return undefined;
  }
}
