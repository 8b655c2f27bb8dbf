/**
 * The broker factory: Aedes with our hooks, persistence, listeners and HTTP surface.
 * `startBroker` is async and does all the I/O; nothing here reads process state or argv.
 */
import { statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.js';
import type { BrokerConfig } from './config.js';
import type { CredentialStore } from './credentials.js';
import { DiskPersistence } from './disk-persistence.js';
import { type AckGate, gateAcks } from './disk-persistence-ack-gate.js';
import { guardReads } from './frame-guard.js';
import { type ClientState, createHooks, newClientState } from './hooks.js';
import { buildHttpApp, type ClientInfo } from './http-api.js';
import { sameIdentity } from './identity.js';
import { windowGauges } from './inflight-gauges.js';
import { limitOutbound } from './inflight-limit.js';
import { ResumeOrder } from './inflight-resume.js';
import type { OutboundWindow } from './inflight-window.js';
import { type Address, type Admit, type ListenerName, startListeners } from './listeners.js';
import { BrokerMetrics, renderPrometheus } from './metrics.js';
import { choosePersistence } from './persistence.js';
import { RateLimiter } from './rate-limit.js';
import { markRedeliveries } from './redelivery-dup.js';

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
  const states = new WeakMap<Client, ClientState>();
  const sockets = new Set<Socket>();
  /** the outgoing in-flight window of each connected client (limits.maxInflightOutbound) */
  const windows = new Map<Client, OutboundWindow>();

  if (!deps.credentials && !config.allowAnonymous) {
    logger.warn('no credentials file and anonymous access off: every client will be refused');
  }
  if (config.allowAnonymous) {
    logger.warn(
      'anonymous clients are allowed (--allow-anonymous): they may publish and subscribe to anything but $SYS',
    );
  }

  const hooks = createHooks(
    {
      credentials: deps.credentials,
      allowAnonymous: config.allowAnonymous,
      metrics,
      logger: logger.child({ component: 'auth' }),
      connectLimiter: new RateLimiter({
        perSecond: limits.connectsPerSecondPerIp,
        burst: limits.connectBurstPerIp,
        clock,
      }),
      certificateIdentity: config.listeners.tls?.ca !== undefined,
      now: () => clock.now(),
    },
    states,
  );

  const store = choosePersistence({
    ...(config.redis ? { redis: config.redis } : {}),
    ...(config.persistence ? { dataDir: config.persistence.dataDir, sync: config.persistence.sync } : {}),
    maxQueuedPerClient: limits.maxQueuedPerClient,
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

  const opts: AedesOptions = {
    ...hooks,
    persistence: store.persistence,
    heartbeatInterval: config.heartbeatIntervalMs,
    maxInflightInbound: limits.maxInflightInbound,
    queueLimit: limits.maxQueuedBeforeConnack,
    keepaliveLimit: limits.keepaliveLimitSeconds,
    drainTimeout: limits.drainTimeoutMs,
    maxClientsIdLength: 23,
  };
  if (config.id) opts.id = config.id;
  if (store.mq) opts.mq = store.mq;
  // disk mode: a QoS 1 PUBACK waits until its message is committed (disk-persistence-ack-gate.ts)
  const ackGates = new WeakMap<Client, AckGate>();
  // Redis mode too: a PUBACK sent before Redis stored the message would turn at-least-once into
  // at-most-once while Redis is unreachable (test/redis-outage.test.ts)
  const gateQos1Acks = store.mode === 'disk' || store.mode === 'redis';
  if (gateQos1Acks) {
    opts.published = (packet, client, cb) => {
      if (client && packet.qos === 1 && packet.messageId !== undefined)
        ackGates.get(client)?.release(packet.messageId);
      cb(null);
    };
  }
  let aedes: Aedes;
  try {
    aedes = await Aedes.createBroker(opts);
  } catch (err) {
    await store.close();
    throw err;
  }
  // a resumed persistent session gets its backlog before live messages (inflight-resume.ts)
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

  const admit: Admit = (conn: Duplex, socket: Socket, listener: ListenerName, req?: IncomingMessage) => {
    metrics.socketsAccepted++;
    if (metrics.socketsOpen >= limits.maxConnections) {
      metrics.rejectedMaxConnections++;
      socket.destroy();
      return;
    }
    metrics.socketsOpen++;
    sockets.add(socket);
    socket.once('close', () => {
      metrics.socketsOpen--;
      sockets.delete(socket);
      metrics.bytesInClosed += socket.bytesRead;
      metrics.bytesOutClosed += socket.bytesWritten;
    });
    guardReads(conn, limits.maxPacketBytes, (err) => {
      if (err.code === 'GZ_BROKER_LIMIT') metrics.oversizePackets++;
      else metrics.rejectedProtocol++;
    });
    // installed on the stream Aedes writes every packet to (see inflight-window.ts for why there)
    const window =
      limits.maxInflightOutbound > 0
        ? limitOutbound(conn, {
            maxInflight: limits.maxInflightOutbound,
            maxWaiting: limits.maxQueuedPerClient,
            onDrop: () => {
              metrics.queueDrops++;
            },
          })
        : undefined;
    const ackGate = gateQos1Acks ? gateAcks(conn) : undefined;
    const client = aedes.handle(conn, req);
    resumeOrder.track(client as unknown as Parameters<ResumeOrder['track']>[0]);
    states.set(client, newClientState(socket.remoteAddress ?? 'unknown', listener, clock.now()));
    if (ackGate) ackGates.set(client, ackGate);
    if (window) {
      windows.set(client, window);
      socket.once('close', () => windows.delete(client));
    }
  };

  let listeners: Awaited<ReturnType<typeof startListeners>>;
  try {
    listeners = await startListeners(config.listeners, admit);
  } catch (err) {
    await closeAedes(aedes);
    await store.close();
    throw err;
  }

  // Clients the broker serves: the same table /api/clients lists. Aedes' own `connectedClients`
  // counter drifts upwards when CONNECTs that waited on Redis are given up before their CONNACK
  // (test/redis-outage.test.ts: 6 counted for 3 clients).
  const connectedCount = (): number =>
    Object.keys((aedes as unknown as { clients: Record<string, unknown> }).clients).length;

  const metricsText = (): string => {
    let bytesInOpen = 0;
    let bytesOutOpen = 0;
    for (const s of sockets) {
      bytesInOpen += s.bytesRead;
      bytesOutOpen += s.bytesWritten;
    }
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
      connections: connectedCount(),
      bytesInOpen,
      bytesOutOpen,
      ...(limits.maxInflightOutbound > 0 ? windowGauges(windows) : {}),
      ...(mem
        ? { retained: mem.retainedCount, queued: mem.queuedMessages, queueDepths: mem.queueDepths() }
        : {}),
    });
  };

  const clients = (): ClientInfo[] => {
    const out: ClientInfo[] = [];
    const all = (aedes as unknown as { clients: Record<string, Client & { subscriptions: object }> }).clients;
    for (const id of Object.keys(all)) {
      const c = all[id];
      if (!c) continue;
      const st = states.get(c);
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
        queued: store.memory ? store.memory.depthOf(id) : null,
        inflight: windows.get(c)?.inflight ?? null,
        waiting: windows.get(c)?.waiting ?? null,
      });
    }
    return out;
  };

  let http: FastifyInstance | undefined;
  const addresses: RunningBroker['addresses'] = { ...listeners.addresses };
  if (config.http) {
    http = buildHttpApp({
      healthy: () => ({
        ok: !aedes.closed,
        detail: { id: aedes.id, connections: connectedCount(), redis: config.redis !== undefined },
      }),
      metrics: metricsText,
      clients,
      ready: async () => {
        if (aedes.closed) return { ok: false, detail: { id: aedes.id } };
        if (!store.ready) return { ok: true, detail: { id: aedes.id } };
        const up = await store.ready();
        return { ok: up, detail: { id: aedes.id, redis: up ? 'up' : 'down' } };
      },
    });
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

  const disconnectRevoked = (): number => {
    let n = 0;
    const all = (aedes as unknown as { clients: Record<string, Client> }).clients;
    for (const id of Object.keys(all)) {
      const c = all[id];
      const st = c ? states.get(c) : undefined;
      if (!c || !st?.identity || st.via === 'anonymous') continue;
      const now = deps.credentials?.lookup(st.identity.user);
      if (!now || !sameIdentity(now, st.identity)) {
        logger.info(
          { clientId: id, user: st.identity.user },
          'closing client: credentials revoked or changed',
        );
        c.close();
        n++;
      }
    }
    return n;
  };

  let closing: Promise<void> | undefined;
  return {
    aedes,
    metrics,
    addresses,
    http,
    metricsText,
    clients,
    disconnectRevoked,
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
