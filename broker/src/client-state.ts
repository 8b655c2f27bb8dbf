/**
 * What the broker keeps beside each Aedes client: who it is, where it came from, and the
 * per-connection controls installed on its stream. Created at admission, filled in by the
 * CONNECT hooks, read by the ACL hooks, /api/clients and /metrics.
 */
import type { Identity } from './auth/identity.js';
import type { AckGate } from './connection/ack-gate.js';
import type { OutboundWindow } from './connection/outbound-window.js';

export type LoginMethod = 'password' | 'certificate' | 'anonymous';

export interface ClientState {
  identity: Identity | undefined;
  ip: string;
  listener: string;
  will: { topic: string } | undefined;
  /** topic → decision, for publishes (created on the first publish: idle clients stay small) */
  pub: Map<string, number> | undefined;
  /** topic → may this identity read it, for deliveries (created on the first delivery) */
  fwd: Map<string, boolean> | undefined;
  via: LoginMethod | undefined;
  connectedAt: number;
  /** the CONNECT had a zero-length client id (the broker picked one) */
  emptyId: boolean;
  /** the CONNECT had a zero-length client id and CleanSession=0 */
  emptyIdPersistent: boolean;
  /** the outgoing in-flight window (limits.maxInflightOutbound), when on */
  window: OutboundWindow | undefined;
  /** the PUBACK gate (disk and Redis modes) */
  gate: AckGate | undefined;
}

export function newClientState(ip: string, listener: string, now: number): ClientState {
  return {
    identity: undefined,
    ip,
    listener,
    will: undefined,
    pub: undefined,
    fwd: undefined,
    via: undefined,
    connectedAt: now,
    emptyId: false,
    emptyIdPersistent: false,
    window: undefined,
    gate: undefined,
  };
}

/** Aedes client → its state. A WeakMap: a client that is gone takes its state with it. */
export type ClientStates = WeakMap<object, ClientState>;
