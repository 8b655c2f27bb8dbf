/**
 * Where sessions, subscriptions, retained messages and queues live, and how messages route:
 *   memory — QueuePersistence + Aedes' mqemitter; a crash loses every session (tests, benchmarks);
 *   disk   — DiskPersistence: the same in-memory indexes written through to DIR/broker.db (SQLite),
 *            committed before every acknowledgement (--data-dir DIR);
 *   redis  — aedes-persistence-redis + mqemitter-redis, for a cluster of brokers (--redis URL).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BrokerError } from '../errors.js';
import { coalesceAddSubscriptions, type SubscriptionStore } from './coalesce-subscriptions.js';
import { DiskPersistence } from './disk-persistence.js';
import type { DiskSync } from './disk-store.js';
import { type BroadcastingStore, oneWaitPerKey } from './one-wait-per-key.js';
import type { PacketLike } from './packet-types.js';
import { QueuePersistence } from './queue-persistence.js';
import {
  type Rebroadcaster,
  rebroadcastOnResubscribe,
  type SubscriberConnection,
} from './rebroadcast-on-resubscribe.js';
import { MemoryOwners, RedisOwners, type SessionOwners } from './session-owners.js';

export type PersistenceMode = 'memory' | 'disk' | 'redis';

/** The session file inside a broker data directory. */
export function sessionFile(dataDir: string): string {
  return join(dataDir, 'broker.db');
}

const require = createRequire(import.meta.url);

export interface PersistenceChoice {
  mode: PersistenceMode;
  /** where the sessions live, for the start-up log line (no credentials) */
  where: string;
  persistence: object;
  /** undefined = Aedes' default in-process mqemitter */
  mq: object | undefined;
  /** the in-memory queue persistence (for metrics), when used */
  memory: QueuePersistence | undefined;
  /** who holds each session, kept where the sessions are */
  owners: SessionOwners;
  /** Redis mode: subscription broadcasts sent again after the emitter's subscriber reconnected */
  rebroadcast?: Rebroadcaster;
  /** Redis mode: false while Redis does not answer a PING within 1 s (for /readyz) */
  ready?(): Promise<boolean>;
  close(): Promise<void>;
}

interface RedisConnOpts {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: object;
}

export function redisOptions(url: string): RedisConnOpts {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new BrokerError('GZ_BROKER_CONFIG', 'redis: not a URL (expected redis://host:port/db)', { cause });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new BrokerError('GZ_BROKER_CONFIG', `redis: unsupported scheme ${u.protocol}`);
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new BrokerError('GZ_BROKER_CONFIG', 'redis: database must be a number');
  const o: RedisConnOpts = { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379, db };
  if (u.username) o.username = decodeURIComponent(u.username);
  if (u.password) o.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') o.tls = {};
  return o;
}

export function choosePersistence(opts: {
  redis?: string;
  /** disk mode: the directory holding broker.db */
  dataDir?: string;
  sync?: DiskSync;
  maxQueuedPerClient: number;
  onDrop: (clientId: string) => void;
  /** Redis mode: a connection error (ioredis keeps reconnecting); without it one would crash */
  onBackendError?: (err: Error) => void;
}): PersistenceChoice {
  if (opts.redis && opts.dataDir) {
    throw new BrokerError(
      'GZ_BROKER_CONFIG',
      'redis and a data directory exclude each other: choose one persistence',
    );
  }
  if (opts.dataDir) {
    const file = sessionFile(opts.dataDir);
    const disk = new DiskPersistence({
      file,
      ...(opts.sync ? { sync: opts.sync } : {}),
      maxQueuedPerClient: opts.maxQueuedPerClient,
      onDrop: opts.onDrop,
    });
    // Aedes stores a multi-filter SUBSCRIBE once per filter, each time with the whole list
    coalesceAddSubscriptions(disk as unknown as SubscriptionStore);
    let closed = false;
    return {
      mode: 'disk',
      where: file,
      persistence: disk,
      mq: undefined,
      memory: disk,
      owners: disk.owners,
      async close() {
        if (closed) return;
        closed = true;
        await disk.destroy();
      },
    };
  }
  if (!opts.redis) {
    const memory = new QueuePersistence({ maxQueuedPerClient: opts.maxQueuedPerClient, onDrop: opts.onDrop });
    return {
      mode: 'memory',
      where: 'memory',
      persistence: memory,
      mq: undefined,
      memory,
      owners: new MemoryOwners(),
      close: async () => {},
    };
  }
  const conn = redisOptions(opts.redis);
  // the package's default export wraps the async implementation so that streams are Node Readables
  const redisPersistence = require('aedes-persistence-redis') as (o: object) => { destroy(): Promise<void> };
  const mqemitterRedis = require('mqemitter-redis') as (o: object) => RedisEmitter;
  // our own connection for the session store, so that its errors reach the log (ioredis prints
  // an 'error' nobody listens to on stderr) and /readyz can PING it
  const db = new Redis({ ...conn, maxRetriesPerRequest: null });
  db.on('error', (err: Error) => opts.onBackendError?.(err));
  const persistence = redisPersistence({
    conn: db,
    maxSessionDelivery: opts.maxQueuedPerClient > 0 ? opts.maxQueuedPerClient : 1_000_000,
  });
  // While Redis is unreachable, commands wait in ioredis' offline queue (no retry limit) and are
  // sent when it is back: Aedes' callbacks, hence PUBACKs, wait with them (see README, Redis).
  // No ready check (INFO) on the emitter's connections. ioredis writes a PSUBSCRIBE at once even
  // while it is still handshaking (pub/sub commands may run while Redis loads its data); when
  // that reply comes in the same read as the handshake's, the connection is in subscriber mode
  // before the INFO is sent, ioredis refuses its own INFO ("Ready check failed"), drops the
  // connection and resubscribes some 50 ms later. Aedes' setup subscribes `$SYS/sub/+` at start,
  // so a broadcast published in that gap was lost: aedes-persistence-redis waits for it before
  // answering, and the first persistent SUBSCRIBE after a start never got its SUBACK (1 start in
  // ~100 in the cluster test). The check only waits for Redis to finish loading, and PUBLISH and
  // the SUBSCRIBE family are allowed while it loads, so the emitter loses nothing without it.
  const mq = mqemitterRedis({ ...conn, maxRetriesPerRequest: null, enableReadyCheck: false });
  // mqemitter-redis re-emits connection errors on `state`; Aedes does not listen there, and an
  // 'error' event nobody listens to would kill the process at the first refused reconnect
  mq.state.on('error', (err) => opts.onBackendError?.(err));
  // a broadcast published while the subscriber connection reconnected is lost, and the write
  // waiting for it with it: sent again once the connection listens again (innermost wrapper,
  // so that it sees exactly the writes the library runs)
  const rebroadcast = rebroadcastOnResubscribe(
    persistence as unknown as BroadcastingStore,
    mq.subConn,
    (topic, payload) =>
      new Promise((resolve, reject) =>
        mq.emit({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, (err) =>
          err ? reject(err) : resolve(),
        ),
      ),
    (err) => opts.onBackendError?.(err),
  );
  // two writes waiting for their broadcast under one key lose the first's acknowledgement
  oneWaitPerKey(persistence as unknown as BroadcastingStore);
  coalesceAddSubscriptions(persistence as unknown as SubscriptionStore);
  return {
    mode: 'redis',
    where: `${conn.host}:${conn.port}/${conn.db}`,
    persistence,
    mq,
    memory: undefined,
    owners: new RedisOwners(db),
    rebroadcast,
    ready: redisProbe(db),
    async close() {
      await persistence.destroy().catch(() => {});
    },
  };
}

interface RedisEmitter {
  close(cb: () => void): void;
  subConn: SubscriberConnection;
  emit(packet: PacketLike, cb: (err?: Error) => void): void;
  state: { on(event: 'error', fn: (err: Error) => void): void };
}

/** PINGs Redis on the emitter's publishing connection; one probe at a time, 1 s to answer. */
function redisProbe(conn: Redis): () => Promise<boolean> {
  let pending: Promise<unknown> | undefined;
  return async () => {
    if (conn.status !== 'ready') return false;
    // a PING sent while Redis is paused stays queued until it answers: share it, don't pile up
    pending ??= conn.ping().finally(() => {
      pending = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), 1000);
    });
    try {
      return await Promise.race([pending.then(() => true as const), late]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
}
