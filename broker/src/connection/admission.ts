/**
 * Admission: from an accepted MQTT byte stream to an Aedes client, in named steps (the way
 * Aedes' own lib/handlers/ are written):
 *
 *   1. installConnection — the frame guard, the outgoing window and the PUBACK gate on the stream;
 *   2. aedes.handle      — Aedes takes the stream;
 *   3. recordState       — who/where (filled in by the CONNECT hooks), the controls of step 1;
 *   4. onClient          — the delivery steps that must wrap the client before it can subscribe.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { ClientStates } from '../client-state.js';
import { newClientState } from '../client-state.js';
import type { Limits } from '../config.js';
import type { BrokerMetrics } from '../metrics.js';
import { type ConnectionControls, installConnection } from './install.js';
import type { Admit } from './listeners.js';

export interface AdmissionDeps {
  aedes: Aedes;
  limits: Limits;
  metrics: BrokerMetrics;
  states: ClientStates;
  /** hold QoS 1 PUBACKs until the message is stored (disk and Redis modes) */
  gateAcks: boolean;
  now(): number;
  /** runs right after aedes.handle, before the client can subscribe */
  onClient(client: Client, controls: ConnectionControls): void;
  /** the frame guard refused a connection (for the security log) */
  onRefused(kind: 'oversize' | 'protocol', why: string, ip: string, listener: string): void;
}

export function createAdmission(deps: AdmissionDeps): Admit {
  const { aedes, limits, metrics, states } = deps;
  const window =
    limits.maxInflightOutbound > 0
      ? {
          maxInflight: limits.maxInflightOutbound,
          maxWaiting: limits.maxQueuedPerClient,
          onDrop: () => {
            metrics.queueDrops++;
          },
        }
      : undefined;
  return (conn: Duplex, socket: Socket, listener, req?: IncomingMessage) => {
    const ip = socket.remoteAddress ?? 'unknown';
    const controls = installConnection(conn, {
      maxPacketBytes: limits.maxPacketBytes,
      ...(window ? { window } : {}),
      gateAcks: deps.gateAcks,
      onReject: (err) => {
        const oversize = err.code === 'GZ_BROKER_LIMIT';
        if (oversize) metrics.oversizePackets++;
        else metrics.rejectedProtocol++;
        deps.onRefused(oversize ? 'oversize' : 'protocol', err.message, ip, listener);
      },
    });
    const client = aedes.handle(conn, req);
    const state = newClientState(ip, listener, deps.now());
    state.window = controls.window;
    state.gate = controls.gate;
    states.set(client, state);
    deps.onClient(client, controls);
  };
}
