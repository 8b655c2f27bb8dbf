/** Shared helpers for the broker's integration tests: a broker on port 0 and MQTT.js clients. */
import type { Clock } from '@ganzhi/runtime';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import {
  type BrokerConfig,
  type CredentialsFile,
  emptyConfig,
  FileCredentialStore,
  hashPassword,
  type RunningBroker,
  startBroker,
  type UserEntry,
} from '../src/index.js';

export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };

/** Users for the ACL tests; the password of each is `${name}-password`. */
export const USERS: Record<string, UserEntry> = {
  'gw-north': { role: 'gateway', district: 'north', gateway: 'gw-north' },
  'gw-south': { role: 'gateway', district: 'south', gateway: 'gw-south' },
  ingest: { role: 'ingest' },
  'viewer-north': { role: 'viewer', districts: ['north'] },
  root: { role: 'admin' },
};

/**
 * A command request of contract v1 (device-profiles/src/contract/commands.ts) as a publisher
 * would send it: `id` (8+ characters), one write, expiring in a minute; `extra` adds or
 * overrides fields (e.g. a forged `issuer`).
 */
export function commandPayload(id: string, extra: Record<string, unknown> = {}): string {
  const now = Date.now();
  return JSON.stringify({
    v: 1,
    id,
    writes: [{ point: 'lamp', value: true }],
    issued: now,
    expires: now + 60_000,
    ...extra,
  });
}

export async function credentialsFor(users: Record<string, UserEntry>): Promise<CredentialsFile> {
  const out: CredentialsFile = { users: {} };
  for (const [name, e] of Object.entries(users)) {
    out.users[name] = { ...e, hash: await hashPassword(`${name}-password`, CHEAP_SCRYPT) } as UserEntry;
  }
  return out;
}

export const silentLogger = pino({ level: 'silent' });

export async function startTestBroker(
  tweak: (cfg: BrokerConfig) => void = () => {},
  users: Record<string, UserEntry> = USERS,
): Promise<RunningBroker> {
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  cfg.heartbeatIntervalMs = 60_000;
  tweak(cfg);
  const credentials = new FileCredentialStore(await credentialsFor(users));
  return startBroker(cfg, { logger: silentLogger, credentials });
}

export function tcpUrl(b: RunningBroker): string {
  const a = b.addresses.tcp;
  if (!a) throw new Error('no tcp listener');
  return `mqtt://${a.host}:${a.port}`;
}

/** Connects and resolves once CONNACK arrived; rejects with the refusal otherwise. No reconnects. */
/**
 * Connects and resolves on CONNACK. `beforeConnack` runs on the client before any packet is read:
 * a resumed session's queued messages can arrive in the same read as the CONNACK, so listeners
 * that must see them are attached there.
 */
export function connect(
  url: string,
  opts: IClientOptions = {},
  beforeConnack?: (c: MqttClient) => void,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    beforeConnack?.(c);
    const onError = (err: Error) => {
      c.end(true);
      reject(err);
    };
    const onClose = () => reject(new Error('closed before CONNACK'));
    c.once('error', onError);
    c.once('close', onClose);
    c.once('connect', () => {
      c.off('error', onError);
      c.off('close', onClose);
      c.on('error', () => {});
      resolve(c);
    });
  });
}

/**
 * Logs in as `user` (password `${user}-password`). The client id defaults to `<user>.<random>`,
 * one of the forms every role may use (the broker binds client ids to identities).
 */
export function login(b: RunningBroker, user: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return connect(tcpUrl(b), {
    username: user,
    password: `${user}-password`,
    clientId: `${user}.${Math.random().toString(36).slice(2, 10)}`,
    ...opts,
  });
}

/** Subscribes and returns the granted QoS of each filter (128 = refused). */
export async function subscribe(
  c: MqttClient,
  filter: string | string[],
  qos: 0 | 1 | 2 = 1,
): Promise<number[]> {
  try {
    const granted = await c.subscribeAsync(filter, { qos });
    return granted.map((g) => g.qos);
  } catch (err) {
    // MQTT.js rejects a SUBACK containing 0x80; the packet still says what was granted
    const granted = (err as { packet?: { granted?: (number | { qos: number })[] } }).packet?.granted;
    if (!granted) throw err;
    return granted.map((g) => (typeof g === 'number' ? g : g.qos));
  }
}

export function endAll(...clients: (MqttClient | undefined)[]): Promise<void> {
  return Promise.all(clients.map((c) => (c ? c.endAsync(true).catch(() => {}) : undefined))).then(() => {});
}

/** Collects messages into an array; `next(n)` waits until n have arrived. */
export function collect(c: MqttClient) {
  const got: { topic: string; payload: string; retain: boolean; qos: number }[] = [];
  let waiters: { n: number; resolve: () => void }[] = [];
  c.on('message', (topic, payload, packet) => {
    got.push({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos });
    waiters = waiters.filter((w) => {
      if (got.length >= w.n) w.resolve();
      return got.length < w.n;
    });
  });
  return {
    got,
    /** Waits until a message satisfying `pred` has arrived. */
    async match(pred: (m: (typeof got)[number]) => boolean, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!got.some(pred)) {
        if (Date.now() > deadline) throw new Error('expected message did not arrive');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    until(n: number, timeoutMs = 10_000): Promise<void> {
      if (got.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`only ${got.length} of ${n} messages arrived`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
  };
}

/** Resolves when the client's connection has closed (e.g. the broker dropped it). */
export function closed(c: MqttClient, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!c.connected) return resolve();
    const t = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
    c.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Round-trip through the broker: proves earlier packets of this client were processed. */
export async function roundTrip(c: MqttClient, topic: string): Promise<void> {
  await c.subscribeAsync(topic, { qos: 1 });
  await c.unsubscribeAsync(topic);
}

/** Where a test broker keeps its sessions: the three persistence modes every fix must hold in. */
export type PersistenceMode = 'memory' | 'disk' | 'redis';

/**
 * A config tweak putting a test broker in `mode`: disk mode in `dir`, Redis mode on database
 * `redisDb` of `redisUrl` (tests in one file use different databases so they cannot see each other).
 */
export function inMode(
  mode: PersistenceMode,
  where: { dir: string; redisUrl?: string; redisDb?: number },
): (cfg: BrokerConfig) => void {
  return (cfg) => {
    if (mode === 'disk') cfg.persistence = { dataDir: where.dir, sync: 'normal' };
    if (mode === 'redis') {
      if (!where.redisUrl) throw new Error('redis mode needs a Redis server');
      cfg.redis = `${where.redisUrl}/${where.redisDb ?? 0}`;
    }
  };
}

/** The session store a broker's Aedes uses (memory, disk or Redis), read the way Aedes reads it. */
export function sessionStore(b: RunningBroker): {
  subscriptionsByClient(c: { id: string }): Promise<{ topic: string }[] | null>;
  outgoingStream(c: { id: string }): AsyncIterable<{ topic?: string; retain?: boolean }>;
} {
  return (b.aedes as unknown as { persistence: ReturnType<typeof sessionStore> }).persistence;
}

/** The subscriptions the session store holds for a client id (memory, disk or Redis alike). */
export async function storedSubscriptions(b: RunningBroker, clientId: string): Promise<string[]> {
  const subs = (await sessionStore(b).subscriptionsByClient({ id: clientId })) ?? [];
  return subs.map((s) => s.topic).sort();
}

/** The topics queued in the session store for a client id (not yet acknowledged by it). */
export async function storedQueue(b: RunningBroker, clientId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const packet of sessionStore(b).outgoingStream({ id: clientId })) out.push(packet.topic ?? '');
  return out;
}

/** A pino logger whose lines are kept (parsed) for the test to read. */
export function capturingLogger(level = 'info'): {
  logger: pino.Logger;
  lines: Record<string, unknown>[];
  text(): string;
} {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = pino(
    { level },
    {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines, text: () => raw.join('') };
}

/**
 * The brokers and clients of one test file (the command and fleet attack tests): `start()` starts
 * a real broker with `users` (TCP on a free loopback port, 60 s heartbeats, connect limits of
 * 1000 a second so a test's many logins are not throttled, a capturing logger, the `clock` if
 * given); `as()` logs a client in as `user` (password `<user>-password`, client id
 * `<user>.t<n>` unless given, clean session unless told). Both keep what they started in `open`
 * and `brokers` (a test may add its own clients or take one out); `stopAll()` ends every client,
 * then closes every broker; the file calls it in `afterEach`.
 */
export function brokerPool(users: Record<string, UserEntry>) {
  const open: MqttClient[] = [];
  const brokers: RunningBroker[] = [];
  let ids = 0;
  const nextId = () => ++ids;
  const start = async (tweak: (cfg: BrokerConfig) => void = () => {}, clock?: Clock) => {
    const cap = capturingLogger();
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
    cfg.heartbeatIntervalMs = 60_000;
    cfg.limits.connectsPerSecondPerIp = 1000;
    cfg.limits.connectBurstPerIp = 1000;
    tweak(cfg);
    const credentials = new FileCredentialStore(await credentialsFor(users));
    const b = await startBroker(cfg, { logger: cap.logger, credentials, ...(clock ? { clock } : {}) });
    brokers.push(b);
    return { b, ...cap };
  };
  const as = async (b: RunningBroker, user: string, opts: { clientId?: string; clean?: boolean } = {}) => {
    const c = await connect(tcpUrl(b), {
      username: user,
      password: `${user}-password`,
      clientId: opts.clientId ?? `${user}.t${nextId()}`,
      clean: opts.clean ?? true,
    });
    open.push(c);
    return c;
  };
  const stopAll = async () => {
    await endAll(...open.splice(0));
    for (const b of brokers.splice(0)) await b.close();
  };
  return { open, brokers, nextId, start, as, stopAll };
}
