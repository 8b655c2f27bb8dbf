/**
 * Redis mode while Redis is unreachable: paused (SIGSTOP) and stopped then restarted on the same
 * port. The broker stays up, withholds the PUBACK of a QoS 1 message it could not store (the
 * publisher keeps it and the message is not lost), reports not-ready on /readyz, and recovers by
 * itself when Redis returns, delivering every message it acknowledged.
 *
 * Redis runs with an append-only file (fsync always), as it must in production if queued
 * messages are to survive a Redis restart.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { startRedis } from '../../test-support/peers-start.mjs';
import { freePort, type Spawned, tempDir, waitFor } from '../../test-support/process.js';
import type { RunningBroker } from '../src/index.js';
import { collect, connect, endAll, startTestBroker, tcpUrl } from './helpers.js';

const redisBin = peer('redis-server', 'redis-server');

/** redis-server with an AOF in `dir`, restartable on the same port. */
class DurableRedis {
  proc: Spawned | undefined;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.proc = (await startRedis(redisBin.path, this.dir, { port: this.port, durable: true })).proc;
  }
  signal(sig: 'SIGSTOP' | 'SIGCONT'): void {
    this.proc?.child.kill(sig);
  }
  async stop(): Promise<void> {
    this.signal('SIGCONT');
    await this.proc?.stop();
  }
}

async function readyz(b: RunningBroker): Promise<{ status: number; body: Record<string, unknown> }> {
  const a = b.addresses.http;
  const res = await fetch(`http://${a?.host}:${a?.port}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function healthz(b: RunningBroker): Promise<number> {
  const a = b.addresses.http;
  return (await fetch(`http://${a?.host}:${a?.port}/healthz`)).status;
}

/** Resolves true once the promise settles, false while still pending after a round of I/O. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setTimeout(r, 50));
  return done;
}

describe.skipIf(!redisBin.ok)('Redis unreachable', () => {
  let redis: DurableRedis;
  let b: RunningBroker;
  beforeAll(async () => {
    redis = new DurableRedis(await freePort(), tempDir('ganzhi-redis-outage-'));
    await redis.start();
    b = await startTestBroker((cfg) => {
      cfg.allowAnonymous = true;
      cfg.redis = redis.url;
      cfg.http = { port: 0, host: '127.0.0.1' };
    });
  });
  afterAll(async () => {
    await b?.close();
    await redis?.stop();
  });

  it('paused (SIGSTOP): no PUBACK until Redis answers, not ready, then everything flows', async () => {
    const sub = await connect(tcpUrl(b), { clientId: 'outage-pause-sub', clean: false });
    const got = collect(sub);
    await sub.subscribeAsync('o/pause', { qos: 1 });
    const pub = await connect(tcpUrl(b));
    try {
      await pub.publishAsync('o/pause', 'before', { qos: 1 });
      await got.until(1);
      // ready before the pause (the probe's 1 s PING deadline can be missed on a loaded CI machine)
      await waitFor('/readyz 200 before the pause', async () =>
        (await readyz(b)).status === 200 ? true : undefined,
      );

      redis.signal('SIGSTOP');
      const during = pub.publishAsync('o/pause', 'during', { qos: 1 });
      await waitFor('/readyz 503', async () => ((await readyz(b)).status === 503 ? true : undefined));
      expect((await readyz(b)).body).toMatchObject({ status: 'unavailable', redis: 'down' });
      expect(await healthz(b)).toBe(200); // alive: restarting the broker would not help
      expect(await settled(during)).toBe(false); // not stored, so not acknowledged
      expect(got.got.map((m) => m.payload)).toEqual(['before']);

      redis.signal('SIGCONT');
      await during;
      await got.until(2);
      expect(got.got.map((m) => m.payload)).toEqual(['before', 'during']);
      await waitFor('/readyz 200', async () => ((await readyz(b)).status === 200 ? true : undefined));
    } finally {
      redis.signal('SIGCONT');
      await endAll(sub, pub);
    }
  });

  it('stopped and restarted: the broker stays up, acknowledged messages survive, recovery without restart', async () => {
    // a persistent subscriber goes offline with acknowledged messages queued for it in Redis
    let sub: MqttClient = await connect(tcpUrl(b), { clientId: 'outage-stop-sub', clean: false });
    await sub.subscribeAsync('o/stop', { qos: 1 });
    await endAll(sub);
    const pub = await connect(tcpUrl(b));
    try {
      for (let i = 0; i < 5; i++) await pub.publishAsync('o/stop', `queued${i}`, { qos: 1 });

      await redis.stop();
      const during = pub.publishAsync('o/stop', 'during', { qos: 1 });
      // a client whose CONNECT waits on Redis, gives up and tries again, as MQTT.js does
      const impatient = mqtt.connect(tcpUrl(b), {
        clientId: 'outage-impatient',
        connectTimeout: 700,
        reconnectPeriod: 300,
      });
      impatient.on('error', () => {});
      let attempts = 0;
      impatient.on('close', () => attempts++);
      await waitFor('three CONNECTs given up', async () => (attempts >= 3 ? true : undefined));
      await waitFor('/readyz 503', async () => ((await readyz(b)).status === 503 ? true : undefined));
      expect(await healthz(b)).toBe(200);
      expect(await settled(during)).toBe(false);
      expect(b.aedes.closed).toBe(false);

      await redis.start();
      await during; // acknowledged once Redis has stored it
      await waitFor('/readyz 200', async () => ((await readyz(b)).status === 200 ? true : undefined));

      // queued messages can arrive in the same read as the CONNACK: listen before it
      let got: ReturnType<typeof collect> | undefined;
      sub = await connect(tcpUrl(b), { clientId: 'outage-stop-sub', clean: false }, (c) => {
        got = collect(c);
      });
      if (!got) throw new Error('collector not attached');
      await got.until(6);
      expect(got.got.map((m) => m.payload)).toEqual([
        ...Array.from({ length: 5 }, (_, i) => `queued${i}`),
        'during',
      ]);
      // the connection gauge counts the clients the broker serves, not the CONNECTs that gave up
      await waitFor('the impatient client connected', async () => (impatient.connected ? true : undefined));
      expect(b.clients().map((c) => c.clientId)).toEqual(
        expect.arrayContaining(['outage-stop-sub', 'outage-impatient']),
      );
      expect(await connectionsGauge(b)).toBe(b.clients().length);
      await endAll(sub, impatient);
    } finally {
      await endAll(pub);
    }
  });

  it('stopped and restarted: a persistent SUBSCRIBE sent meanwhile is answered and works', async () => {
    // its `$SYS/sub/add` broadcast goes out when Redis is back, possibly before the emitter's
    // subscriber connection has re-subscribed: sent again then (rebroadcast-on-resubscribe.ts).
    // Here the race was not lost in 5 runs without that fix; redis-reconnect.test.ts makes the
    // loss happen every time. This one checks the whole path through a real restart.
    const sub = await connect(tcpUrl(b), { clientId: 'outage-late-sub', clean: false });
    const pub = await connect(tcpUrl(b));
    try {
      await redis.stop();
      const granted = sub.subscribeAsync(['o/late/a', 'o/late/b'], { qos: 1 });
      expect(await settled(granted)).toBe(false);
      await redis.start();
      // a liveness bound, not a timing one: a lost broadcast never answers
      const answer = await Promise.race([
        granted.then((g) => g.map((x) => x.qos)),
        new Promise<'no SUBACK'>((r) => setTimeout(() => r('no SUBACK'), 20_000)),
      ]);
      expect(answer).toEqual([1, 1]);
      const got = collect(sub);
      await pub.publishAsync('o/late/b', 'after', { qos: 1 });
      await got.until(1);
      expect(got.got.map((m) => m.payload)).toEqual(['after']);
    } finally {
      await endAll(sub, pub);
    }
  }, 60_000);
});

async function connectionsGauge(b: RunningBroker): Promise<number> {
  const a = b.addresses.http;
  const text = await (await fetch(`http://${a?.host}:${a?.port}/metrics`)).text();
  const m = /^gz_broker_connections (\d+)$/m.exec(text);
  if (!m) throw new Error('gz_broker_connections missing from /metrics');
  return Number(m[1]);
}
