/**
 * Where sessions, subscriptions, retained messages and queues live, and how messages route:
 * in memory (QueuePersistence + Aedes' mqemitter) by default, Redis with --redis URL.
 */
import { createRequire } from 'node:module';
import { BrokerError } from './errors.js';
import { QueuePersistence } from './queue-persistence.js';

const require = createRequire(import.meta.url);

export interface PersistenceChoice {
  persistence: object;
  /** undefined = Aedes' default in-process mqemitter */
  mq: object | undefined;
  /** the in-memory queue persistence (for metrics), when used */
  memory: QueuePersistence | undefined;
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
  maxQueuedPerClient: number;
  onDrop: (clientId: string) => void;
}): PersistenceChoice {
  if (!opts.redis) {
    const memory = new QueuePersistence({ maxQueuedPerClient: opts.maxQueuedPerClient, onDrop: opts.onDrop });
    return { persistence: memory, mq: undefined, memory, close: async () => {} };
  }
  const conn = redisOptions(opts.redis);
  // the package's default export wraps the async implementation so that streams are Node Readables
  const redisPersistence = require('aedes-persistence-redis') as (o: object) => { destroy(): Promise<void> };
  const mqemitterRedis = require('mqemitter-redis') as (o: object) => { close(cb: () => void): void };
  const persistence = redisPersistence({
    ...conn,
    maxRetriesPerRequest: null,
    maxSessionDelivery: opts.maxQueuedPerClient > 0 ? opts.maxQueuedPerClient : 1_000_000,
  });
  const mq = mqemitterRedis({ ...conn, maxRetriesPerRequest: null });
  coalesceAddSubscriptions(persistence as unknown as SubscriptionStore);
  return {
    persistence,
    mq,
    memory: undefined,
    async close() {
      await persistence.destroy().catch(() => {});
    },
  };
}

interface SubscriptionStore {
  addSubscriptions(client: unknown, subs: unknown[]): Promise<unknown>;
}

/**
 * Aedes 1.x stores the subscriptions of a SUBSCRIBE once per filter, concurrently, each time
 * with the packet's whole list. aedes-persistence-redis then waits for its own broadcast
 * under a key made from the client id and the first filter, so N concurrent identical calls
 * share one key, only one waiter is released, and a persistent (clean=false) SUBSCRIBE with
 * more than one filter never gets its SUBACK. This turns the N identical calls (the same
 * array) into one.
 */
export function coalesceAddSubscriptions(store: SubscriptionStore): void {
  const add = store.addSubscriptions.bind(store);
  const pending = new WeakMap<object, Promise<unknown>>();
  store.addSubscriptions = (client, subs) => {
    const running = pending.get(subs);
    if (running) return running;
    const p = add(client, subs).finally(() => pending.delete(subs));
    pending.set(subs, p);
    return p;
  };
}
