/**
 * The one place that reads Aedes' client table: `aedes.clients` (client id → client) is not part
 * of Aedes 1.2's typed API, so it is cast here and nowhere else. Everything that needs to see the
 * connected clients (/api/clients, /metrics gauges, closing revoked users, the session-takeover
 * check) asks a ClientTable.
 */
import type { Aedes, Client } from 'aedes';
import type { CredentialStore } from './auth/credentials.js';
import { sameIdentity } from './auth/identity.js';
import type { ClientState, ClientStates } from './client-state.js';
import type { ClientInfo } from './http/http-api.js';

export interface WindowGauges {
  inflightOut: number;
  waitingOut: number;
  /** the `top` clients with the most messages in flight plus waiting */
  inflightByClient: { clientId: string; inflight: number; waiting: number }[];
}

type AedesClient = Client & { subscriptions: Record<string, unknown>; closed: boolean };

export class ClientTable {
  readonly #aedes: Aedes;
  readonly #states: ClientStates;
  readonly #depthOf: ((clientId: string) => number) | undefined;

  constructor(aedes: Aedes, states: ClientStates, depthOf?: (clientId: string) => number) {
    this.#aedes = aedes;
    this.#states = states;
    this.#depthOf = depthOf;
  }

  get #clients(): Record<string, AedesClient | undefined> {
    return (this.#aedes as unknown as { clients: Record<string, AedesClient | undefined> }).clients;
  }

  /**
   * Clients the broker serves: the table /api/clients lists. Aedes' own `connectedClients` counter
   * drifts upwards when CONNECTs that waited on Redis are given up before their CONNACK
   * (test/redis-outage.test.ts: 6 counted for 3 clients).
   */
  count(): number {
    return Object.keys(this.#clients).length;
  }

  /** The connected client with this id and its state, if any. */
  get(clientId: string): { client: AedesClient; state: ClientState | undefined } | undefined {
    const client = this.#clients[clientId];
    return client ? { client, state: this.#states.get(client) } : undefined;
  }

  list(): ClientInfo[] {
    const out: ClientInfo[] = [];
    const all = this.#clients;
    for (const id of Object.keys(all)) {
      const c = all[id];
      if (!c) continue;
      const st = this.#states.get(c);
      out.push({
        clientId: id,
        user: st?.identity?.user || null,
        role: st?.identity?.role ?? null,
        via: st?.via ?? null,
        ip: st?.ip ?? 'unknown',
        listener: st?.listener ?? 'unknown',
        clean: c.clean,
        connectedAt: new Date(st?.connectedAt ?? 0).toISOString(),
        subscriptions: Object.keys(c.subscriptions),
        queued: this.#depthOf ? this.#depthOf(id) : null,
        inflight: st?.window?.inflight ?? null,
        waiting: st?.window?.waiting ?? null,
      });
    }
    return out;
  }

  /** Scrape-time totals over the outgoing windows, and the busiest clients. */
  windowGauges(top = 20): WindowGauges {
    let inflightOut = 0;
    let waitingOut = 0;
    const busy: WindowGauges['inflightByClient'] = [];
    const all = this.#clients;
    for (const id of Object.keys(all)) {
      const c = all[id];
      const w = c ? this.#states.get(c)?.window : undefined;
      if (!w) continue;
      const inflight = w.inflight;
      const waiting = w.waiting;
      inflightOut += inflight;
      waitingOut += waiting;
      if (inflight + waiting > 0) busy.push({ clientId: id, inflight, waiting });
    }
    busy.sort((a, b) => b.inflight + b.waiting - (a.inflight + a.waiting));
    return { inflightOut, waitingOut, inflightByClient: busy.slice(0, top) };
  }

  /**
   * Closes connected clients whose user is gone or whose role/scope changed in the credential
   * store (after a reload). Returns the ids closed.
   */
  closeRevoked(credentials: CredentialStore | undefined): { clientId: string; user: string }[] {
    const closed: { clientId: string; user: string }[] = [];
    const all = this.#clients;
    for (const id of Object.keys(all)) {
      const c = all[id];
      const st = c ? this.#states.get(c) : undefined;
      if (!c || !st?.identity || st.via === 'anonymous') continue;
      const now = credentials?.lookup(st.identity.user);
      if (!now || !sameIdentity(now, st.identity)) {
        closed.push({ clientId: id, user: st.identity.user });
        c.close();
      }
    }
    return closed;
  }
}
