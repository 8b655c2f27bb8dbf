/**
 * The broker factory: Aedes with our hooks, session store, listeners and HTTP surface, composed
 * from named parts — options.ts (what Aedes is created with), connection/admission.ts (socket to
 * client), introspection.ts (the connected clients), delivery/ (what wraps each client's
 * deliveries). `startBroker` is async and does all the I/O; nothing here reads process state.
 */
import { statSync } from 'node:fs';
import { type Clock, systemClock } from '@ganzhi/runtime';
import { Aedes, type Client } from 'aedes';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { subscribeAllowed } from './auth/acl.js';
import type { CredentialStore } from './auth/credentials.js';
import { createHooks } from './auth/hooks.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { SessionBinding } from './auth/session-binding.js';
import { isValidFilter } from './auth/topic-filter.js';
import type { ClientStates } from './client-state.js';
import type { BrokerConfig } from './config.js';
import { createAdmission } from './connection/admission.js';
import { type Address, type ListenerName, startListeners } from './connection/listeners.js';
import { SocketGate } from './connection/socket-gate.js';
import { bypassAedesDedupe, dropOverlapDuplicates } from './delivery/dedupe.js';
import { ResumeOrder } from './delivery/resume-order.js';
import { buildHttpApp, type ClientInfo } from './http/http-api.js';
import { ClientTable } from './introspection.js';
import { BrokerMetrics, renderPrometheus } from './metrics.js';
import { aedesOptions } from './options.js';
import { choosePersistence, type PersistenceChoice } from './persistence/choose.js';
import { DiskPersistence } from './persistence/disk-persistence.js';
import { markRedeliveries } from './persistence/redelivery-dup.js';
import { guardSubscriptions } from './persistence/subscription-guard.js';
import { RateLimiter } from './security/rate-limit.js';
import { SecurityLog } from './security/security-log.js';

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
  const limits = config.limits;
  const metrics = new BrokerMetrics();
  const states: ClientStates = new WeakMap();
  warnAboutAccess(config, deps, logger);

  const security = new SecurityLog(logger.child({ component: 'security' }), clock);
  const store = openStore(config, metrics, logger);
  // a refused subscription is never stored (persistence/subscription-guard.ts)
  guardSubscriptions(store.persistence as Parameters<typeof guardSubscriptions>[0], (client, filter) => {
    const identity = states.get(client as object)?.identity;
    return identity === undefined ? undefined : isValidFilter(filter) && subscribeAllowed(identity, filter);
  });
  const sessions = store.persistence as {
    removeSubscriptions(client: unknown, topics: string[]): Promise<unknown>;
  };
  const throttle = new LoginThrottle({
    clock,
    failuresBeforeBackoff: limits.loginBackoffAfterFailures,
    maxBackoffMs: limits.loginBackoffMaxMs,
    maxConcurrent: limits.maxConcurrentPasswordChecks,
    maxQueued: limits.maxQueuedPasswordChecks,
  });
  const hooks = createHooks(
    {
      credentials: deps.credentials,
      allowAnonymous: config.allowAnonymous,
      metrics,
      security,
      connectLimiter: new RateLimiter({
        perSecond: limits.connectsPerSecondPerIp,
        burst: limits.connectBurstPerIp,
        clock,
      }),
      certificateIdentity: config.listeners.tls?.ca !== undefined,
      binding: new SessionBinding(config.clientIds, store.owners),
      throttle,
      maxClientIdLength: limits.maxClientIdLength,
      forgetSubscription: (client, filter) => {
        sessions.removeSubscriptions(client, [filter]).catch(() => {});
      },
      now: () => clock.now(),
    },
    states,
  );
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
    aedes = await Aedes.createBroker(aedesOptions(config, hooks, store, published));
  } catch (err) {
    await store.close();
    throw err;
  }
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

  const table = new ClientTable(
    aedes,
    states,
    store.memory ? (id) => store.memory?.depthOf(id) ?? 0 : undefined,
  );
  const gate = new SocketGate({
    maxConnections: limits.maxConnections,
    maxPerIp: limits.maxConnectionsPerIp,
    metrics,
    onRefuse: (why, ip) =>
      security.event('connection_limit', {
        ip,
        what: 'socket',
        why: why === 'per_ip' ? 'limits.maxConnectionsPerIp reached' : 'limits.maxConnections reached',
      }),
  });
  const admit = createAdmission({
    aedes,
    limits,
    metrics,
    states,
    gateAcks,
    now: () => clock.now(),
    onRefused: (kind, why, ip, listener) => {
      // the client id is not known yet: the guard acts before Aedes parses anything
      security.event(kind, { ip, listener, why });
    },
    onClient: (client) => {
      // innermost first: Aedes' deliveries, then the resume order, then the overlap dedupe
      const c = client as unknown as Parameters<typeof bypassAedesDedupe>[0] &
        Parameters<ResumeOrder['track']>[0];
      bypassAedesDedupe(c);
      resumeOrder.track(c);
      dropOverlapDuplicates(c);
    },
  });

  let listeners: Awaited<ReturnType<typeof startListeners>>;
  try {
    listeners = await startListeners(config.listeners, gate, admit, limits);
  } catch (err) {
    await closeAedes(aedes);
    await store.close();
    throw err;
  }

  const metricsText = (): string => {
    const open = gate.bytesOpen();
    const mem = store.memory;
    const disk = mem instanceof DiskPersistence ? mem : undefined;
    return renderPrometheus(metrics, {
      ...(disk
        ? {
            store: {
              commits: disk.commits,
              pendingChanges: disk.pendingChanges,
              fileBytes: fileBytes(disk.file),
            },
          }
        : {}),
      connections: table.count(),
      security,
      passwordChecks: { running: throttle.running, queued: throttle.queued },
      bytesInOpen: open.bytesIn,
      bytesOutOpen: open.bytesOut,
      ...(limits.maxInflightOutbound > 0 ? table.windowGauges() : {}),
      ...(mem
        ? { retained: mem.retainedCount, queued: mem.queuedMessages, queueDepths: mem.queueDepths() }
        : {}),
    });
  };

  let http: FastifyInstance | undefined;
  const addresses: RunningBroker['addresses'] = { ...listeners.addresses };
  if (config.http) {
    http = buildHttpApp(
      {
        healthy: () => ({
          ok: !aedes.closed,
          detail: { id: aedes.id, connections: table.count(), redis: config.redis !== undefined },
        }),
        metrics: metricsText,
        clients: () => table.list(),
        ready: async () => {
          if (aedes.closed) return { ok: false, detail: { id: aedes.id } };
          if (!store.ready) return { ok: true, detail: { id: aedes.id } };
          const up = await store.ready();
          return { ok: up, detail: { id: aedes.id, redis: up ? 'up' : 'down' } };
        },
      },
      {
        allowedHosts: config.http.allowedHosts ?? [],
        bindHost: config.http.host,
        onRefused: (host, ip) =>
          security.event('http_host_refused', {
            ip,
            listener: 'http',
            what: host,
            why: 'Host header not allowed',
          }),
      },
    );
    try {
      await http.listen({ port: config.http.port, host: config.http.host });
    } catch (err) {
      await listeners.close();
      await closeAedes(aedes);
      await store.close();
      throw err;
    }
    const a = http.server.address();
    if (a && typeof a === 'object') addresses.http = { host: a.address, port: a.port };
  }

  let closing: Promise<void> | undefined;
  return {
    aedes,
    metrics,
    addresses,
    http,
    metricsText,
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

/** A bind address reachable only from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function warnAboutAccess(config: BrokerConfig, deps: BrokerDeps, logger: Logger): void {
  // passwords cross a plaintext listener in clear: one loud line per such listener
  if (deps.credentials) {
    for (const name of ['tcp', 'ws'] as const) {
      const l = config.listeners[name];
      if (l && !isLoopback(l.host)) {
        logger.error(
          { security: 'plaintext_listener', listener: name, host: l.host, port: l.port },
          `WARNING: passwords can cross the plaintext ${name} listener on ${l.host}: anyone on the network path can read them. Listen on 127.0.0.1 and give remote clients the TLS listener (listeners.tls)`,
        );
      }
    }
  }
  if (!deps.credentials && !config.allowAnonymous) {
    logger.warn('no credentials file and anonymous access off: every client will be refused');
  }
  if (config.allowAnonymous) {
    logger.warn(
      'anonymous clients are allowed (--allow-anonymous): they may publish and subscribe to anything but $SYS',
    );
  }
}

/** The session store of the configured mode, with the broker's own fixes applied to it. */
function openStore(config: BrokerConfig, metrics: BrokerMetrics, logger: Logger): PersistenceChoice {
  const store = choosePersistence({
    ...(config.redis ? { redis: config.redis } : {}),
    ...(config.persistence ? { dataDir: config.persistence.dataDir, sync: config.persistence.sync } : {}),
    maxQueuedPerClient: config.limits.maxQueuedPerClient,
    onDrop: () => {
      metrics.queueDrops++;
    },
    onBackendError: (err) => {
      // ioredis retries for ever; one line per failed attempt at most every 2 s
      logger.warn({ err: err.message }, 'redis unreachable; publishes wait for it (no PUBACK meanwhile)');
    },
  });
  markRedeliveries(store.persistence);
  if (store.mode === 'memory') {
    logger.warn(
      { persistence: 'memory' },
      'sessions are kept in memory only: a crash or restart loses persistent sessions and their queued messages (give a data dir for disk mode)',
    );
  } else {
    logger.info({ persistence: store.mode, where: store.where }, 'sessions persisted');
  }
  return store;
}

function closeAedes(aedes: Aedes): Promise<void> {
  return new Promise((resolve) => aedes.close(() => resolve()));
}

/** Bytes of a SQLite file and its WAL; 0 for what does not exist. */
function fileBytes(file: string): number {
  let n = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // not there (yet)
    }
  }
  return n;
}
