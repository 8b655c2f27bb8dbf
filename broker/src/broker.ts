/**
 * The broker factory: Aedes with our policy, session store, listeners and HTTP surface, composed
 * from named parts —
 *   persistence/open-store.ts  the session store of the configured mode;
 *   policy.ts                  the hooks, login throttle, client-id binding, limits, security log;
 *   options.ts                 what Aedes is created with;
 *   connection/                sockets to clients (socket-gate, listeners, admission);
 *   delivery/wrap-client.ts    what wraps each client's deliveries;
 *   introspection.ts           the connected clients; observe.ts /metrics; http/ the HTTP API.
 * `startBroker` is async and does all the I/O; nothing here reads process state or argv.
 */
import { type Clock, systemClock } from '@ganzhi/runtime';
import { Aedes, type Client } from 'aedes';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { warnAboutAccess } from './access-warnings.js';
import type { CredentialStore } from './auth/credentials.js';
import type { ClientStates } from './client-state.js';
import type { BrokerConfig } from './config.js';
import { createAdmission } from './connection/admission.js';
import { type Address, type ListenerName, type Listeners, startListeners } from './connection/listeners.js';
import { SocketGate } from './connection/socket-gate.js';
import { ResumeOrder } from './delivery/resume-order.js';
import { wrapDeliveries } from './delivery/wrap-client.js';
import type { ClientInfo } from './http/http-api.js';
import { startHttp } from './http/serve.js';
import { ClientTable } from './introspection.js';
import { BrokerMetrics } from './metrics.js';
import { metricsText } from './observe.js';
import { aedesOptions } from './options.js';
import type { PersistenceChoice } from './persistence/choose.js';
import { openStore } from './persistence/open-store.js';
import { createPolicy, type Policy } from './policy.js';

export interface BrokerDeps {
  logger: Logger;
  credentials?: CredentialStore;
  clock?: Clock;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly metrics: BrokerMetrics;
  readonly addresses: Partial<Record<ListenerName | 'http', Address>>;
  readonly http: FastifyInstance | undefined;
  /** Prometheus text, as served on /metrics */
  metricsText(): string;
  /**
   * Closes connected clients whose user is gone or whose role/scope changed in the credential
   * store (call after reloading it). Returns how many were closed.
   */
  disconnectRevoked(): number;
  clients(): ClientInfo[];
  close(): Promise<void>;
}

export async function startBroker(config: BrokerConfig, deps: BrokerDeps): Promise<RunningBroker> {
  const logger = deps.logger;
  const clock = deps.clock ?? systemClock;
  const metrics = new BrokerMetrics();
  const states: ClientStates = new WeakMap();
  warnAboutAccess(config, deps, logger);

  const store = openStore(config, metrics, logger);
  const policy = createPolicy({
    config,
    credentials: deps.credentials,
    store,
    states,
    metrics,
    clock,
    logger,
  });
  // disk and Redis modes: a QoS 1 PUBACK waits until its message is stored (connection/ack-gate.ts);
  // in Redis mode a PUBACK sent before Redis stored the message would turn at-least-once into
  // at-most-once while Redis is unreachable (test/redis-outage.test.ts)
  const gateAcks = store.mode === 'disk' || store.mode === 'redis';
  const published = gateAcks
    ? (packet: { qos: number; messageId?: number }, client: Client | null) => {
        if (client && packet.qos === 1 && packet.messageId !== undefined)
          states.get(client)?.gate?.release(packet.messageId);
      }
    : undefined;

  let aedes: Aedes;
  try {
    aedes = await Aedes.createBroker(aedesOptions(config, policy.hooks, store, published));
  } catch (err) {
    await store.close();
    throw err;
  }
  const table = new ClientTable(
    aedes,
    states,
    store.memory ? (id) => store.memory?.depthOf(id) ?? 0 : undefined,
  );
  const gate = socketGate(config, metrics, policy);
  const listeners = await listen(config, aedes, store, policy, {
    metrics,
    states,
    gate,
    gateAcks,
    clock,
    logger,
  });
  const scrape = () => metricsText({ metrics, limits: config.limits, table, gate, store, policy });

  let http: FastifyInstance | undefined;
  const addresses: RunningBroker['addresses'] = { ...listeners.addresses };
  if (config.http) {
    try {
      const served = await startHttp(config.http, {
        aedes,
        config,
        table,
        store,
        policy,
        metricsText: scrape,
      });
      http = served.app;
      if (served.address) addresses.http = served.address;
    } catch (err) {
      await listeners.close();
      await closeAedes(aedes);
      await store.close();
      throw err;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    aedes,
    metrics,
    addresses,
    http,
    metricsText: scrape,
    clients: () => table.list(),
    disconnectRevoked() {
      const closed = table.closeRevoked(deps.credentials);
      for (const c of closed) logger.info(c, 'closing client: credentials revoked or changed');
      return closed.length;
    },
    close() {
      closing ??= (async () => {
        await http?.close();
        await listeners.close();
        await closeAedes(aedes);
        await store.close();
      })();
      return closing;
    },
  };
}

/** Raw sockets: counted and limited at accept, refusals logged. */
function socketGate(config: BrokerConfig, metrics: BrokerMetrics, policy: Policy): SocketGate {
  return new SocketGate({
    maxConnections: config.limits.maxConnections,
    maxPerIp: config.limits.maxConnectionsPerIp,
    perIpExempt: config.limits.maxConnectionsPerIpExempt,
    metrics,
    onRefuse: (why, ip) =>
      policy.security.event('connection_limit', {
        ip,
        what: 'socket',
        why: why === 'per_ip' ? 'limits.maxConnectionsPerIp reached' : 'limits.maxConnections reached',
      }),
  });
}

/** Aedes' events, the per-client delivery steps, admission, and the listeners. */
async function listen(
  config: BrokerConfig,
  aedes: Aedes,
  store: PersistenceChoice,
  policy: Policy,
  parts: {
    metrics: BrokerMetrics;
    states: ClientStates;
    gate: SocketGate;
    gateAcks: boolean;
    clock: Clock;
    logger: Logger;
  },
): Promise<Listeners> {
  const { metrics, logger } = parts;
  // the retained topics the session store already holds count against their gateways (the disk
  // mode's file is read back in createBroker)
  for (const topic of store.memory?.retainedTopics() ?? []) policy.gatewayLimits.held(topic);
  // a resumed persistent session gets its backlog before live messages (delivery/resume-order.ts)
  const resumeOrder = new ResumeOrder(store.persistence);
  aedes.on('clientReady', (client) => resumeOrder.ready(client));
  aedes.on('clientError', (client, err) => {
    metrics.clientErrors++;
    logger.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  aedes.on('connectionError', (_client, err) => {
    metrics.clientErrors++;
    logger.debug({ err: err.message }, 'connection error');
  });
  const admit = createAdmission({
    aedes,
    limits: config.limits,
    metrics,
    states: parts.states,
    gateAcks: parts.gateAcks,
    now: () => parts.clock.now(),
    // the client id is not known yet: the frame guard acts before Aedes parses anything
    onRefused: (kind, why, ip, listener) => policy.security.event(kind, { ip, listener, why }),
    onClient: (client) => wrapDeliveries(client, resumeOrder),
  });
  try {
    return await startListeners(config.listeners, parts.gate, admit, config.limits);
  } catch (err) {
    await closeAedes(aedes);
    await store.close();
    throw err;
  }
}

function closeAedes(aedes: Aedes): Promise<void> {
  return new Promise((resolve) => aedes.close(() => resolve()));
}
