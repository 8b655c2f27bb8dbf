/**
 * Redis mode: a persistent SUBSCRIBE is answered even when the emitter's subscriber connection
 * reconnects while its `$SYS/sub/add` broadcast is on its way.
 *
 * aedes-persistence-redis sends the SUBACK only when its broadcast comes back through Redis;
 * Redis pub/sub keeps nothing for a connection that is away, so a broadcast published while
 * the subscriber connection was down was lost and that SUBACK never came
 * (persistence/rebroadcast-on-resubscribe.ts). A fault-injecting TCP proxy between broker A
 * and Redis holds the broadcast's PUBLISH, cuts the subscriber connection, lets the PUBLISH
 * through once Redis has dropped that connection and refuses reconnects until Redis has
 * answered it: the loss every time. Broker B talks to Redis directly.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { Redis } from 'ioredis';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { waitFor } from '../../test-support/process.js';
import {
  closed,
  collect,
  endAll,
  login,
  startTestBroker,
  storedQueue,
  storedSubscriptions,
  subscribe,
} from './helpers.js';
import { connectPacket, RawClient } from './raw-client.js';
import { type RedisServer, startRedis } from './redis-fixture.js';

const redisBin = peer('redis-server', 'redis-server');

interface Conn {
  client: Socket;
  upstream: Socket;
  subscriber: boolean;
  /** client bytes held back (in order) while a cut is in progress on this connection */
  held: Buffer[] | undefined;
}

/**
 * Fault injection: a TCP proxy to Redis that, once armed, cuts the subscriber connection (the
 * one that sent a PSUBSCRIBE) when a subscription broadcast's PUBLISH passes, and forwards that PUBLISH
 * only after Redis no longer lists the cut connection.
 */
async function cuttingProxy(redisPort: number, admin: Redis) {
  const conns = new Set<Conn>();
  let armed: string | undefined;
  let refusing = false;
  let cuts = 0;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(redisPort, '127.0.0.1');
    const c: Conn = { client, upstream, subscriber: false, held: undefined };
    conns.add(c);
    client.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      if (/psubscribe/i.test(text)) c.subscriber = true;
      if (c.held) {
        c.held.push(d);
        return;
      }
      if (armed && !c.subscriber && text.includes(armed)) {
        armed = undefined;
        c.held = [d];
        void cut(c);
        return;
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    const end = () => {
      conns.delete(c);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const cut = async (publisher: Conn): Promise<void> => {
    refusing = true;
    const victims = [...conns].filter((x) => x.subscriber);
    const ports = victims.map((v) => v.upstream.localPort);
    for (const v of victims) {
      v.client.destroy();
      v.upstream.destroy();
    }
    await waitFor('Redis dropped the cut subscriber connection', async () => {
      const list = await admin.client('LIST');
      return ports.every((p) => !String(list).includes(`addr=127.0.0.1:${p} `)) ? true : undefined;
    });
    // the PUBLISH reaches Redis while nobody of broker A listens; its reply ends the refusal
    publisher.upstream.once('data', () => {
      refusing = false;
      cuts++;
    });
    const held = publisher.held ?? [];
    publisher.held = undefined;
    for (const d of held) publisher.upstream.write(d);
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    /** the next PUBLISH of `topic` (`$SYS/sub/add` or `$SYS/sub/rm`) cuts the subscriber connection */
    arm(topic = '$SYS/sub/add') {
      armed = topic;
    },
    cuts: () => cuts,
    close() {
      for (const c of conns) {
        c.client.destroy();
        c.upstream.destroy();
      }
      server.close();
    },
  };
}

/** A liveness bound, not a timing one: the lost SUBACK (UNSUBACK) never comes. */
function orNever<T>(p: Promise<T>, ms = 20_000): Promise<T | 'no answer'> {
  return Promise.race([p, new Promise<'no answer'>((r) => setTimeout(() => r('no answer'), ms))]);
}

describe.skipIf(!redisBin.ok)('Redis subscriber reconnect', () => {
  let redis: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedis(redisBin.path);
    admin = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  const pair = async (db: number) => {
    const proxy = await cuttingProxy(redis.port, admin);
    const a = await startTestBroker((cfg) => {
      cfg.redis = `redis://127.0.0.1:${proxy.port}/${db}`;
    });
    const b = await startTestBroker((cfg) => {
      cfg.redis = `${redis.url}/${db}`;
    });
    return {
      proxy,
      a,
      b,
      async close() {
        await a.close();
        await b.close();
        proxy.close();
      },
    };
  };

  it('answers a persistent SUBSCRIBE whose broadcast was published while the subscriber connection was cut, and the subscription works', async () => {
    const { proxy, a, b, close } = await pair(1);
    try {
      const ing = await login(a, 'ingest', { clientId: 'ganzhi-ingest-reconnect', clean: false });
      proxy.arm();
      const granted = await orNever(
        subscribe(ing, ['gz/v1/+/+/state', 'gz/v1/+/+/+/meta', 'gz/v1/+/+/+/data', 'gz/v1/+/+/+/status']),
      );
      expect(proxy.cuts()).toBe(1);
      expect(granted).toEqual([1, 1, 1, 1]);
      // published on the other broker after the SUBACK: reaches the subscriber through Redis
      const got = collect(ing);
      const gw = await login(b, 'gw-north');
      await gw.publishAsync('gz/v1/north/gw-north/pm1/data', 'after-cut', { qos: 1 });
      await got.match((m) => m.payload === 'after-cut');
      await endAll(ing, gw);
    } finally {
      await close();
    }
  }, 60_000);

  it('answers a persistent UNSUBSCRIBE whose broadcast was published while the subscriber connection was cut, and the filter is gone', async () => {
    const { proxy, a, b, close } = await pair(2);
    try {
      const ing = await login(a, 'ingest', { clientId: 'ganzhi-ingest-unsub', clean: false });
      expect(await subscribe(ing, ['gz/v1/+/+/state', 'gz/v1/+/+/+/data'])).toEqual([1, 1]);
      proxy.arm('$SYS/sub/rm');
      const unsubscribed = await orNever(ing.unsubscribeAsync('gz/v1/+/+/state').then(() => 'UNSUBACK'));
      expect(proxy.cuts()).toBe(1);
      expect(unsubscribed).toBe('UNSUBACK');
      expect((await admin.select(2).then(() => admin.hkeys('client:ganzhi-ingest-unsub'))).sort()).toEqual([
        'gz/v1/+/+/+/data',
      ]);
      // the removed filter delivers nothing, the kept one still does (published on the other broker)
      const got = collect(ing);
      const gw = await login(b, 'gw-north');
      await gw.publishAsync('gz/v1/north/gw-north/state', 'removed', { qos: 1 });
      await gw.publishAsync('gz/v1/north/gw-north/pm1/data', 'kept', { qos: 1 });
      await got.match((m) => m.payload === 'kept');
      expect(got.got.map((m) => m.payload)).toEqual(['kept']);
      await endAll(ing, gw);
    } finally {
      await close();
    }
  }, 60_000);

  it('answers a flood of SUBSCRIBEs and another client read during a cut, nothing stays waiting, each session gets only its own filters', async () => {
    const { proxy, a, b, close } = await pair(3);
    const flood = await RawClient.open(a.addresses.tcp?.port ?? 0);
    try {
      const victim = await login(a, 'ingest', { clientId: 'ganzhi-ingest-victim', clean: false });
      flood.send(
        connectPacket({
          clientId: 'viewer-north.flood',
          clean: false,
          username: 'viewer-north',
          password: Buffer.from('viewer-north-password'),
        }),
      );
      expect(await flood.next('connack', 20_000)).toMatchObject({ returnCode: 0 });
      // 100 distinct first filters and 30 SUBSCRIBEs sharing one, in one write: Aedes handles
      // the packets of one read concurrently (at most 42 before the CONNACK, hence after it)
      const sub = (messageId: number, topic: string) =>
        mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: 1 }] });
      const packets: Buffer[] = [];
      for (let i = 1; i <= 100; i++) packets.push(sub(i, `gz/v1/north/gw-north/d${i}/data`));
      for (let i = 101; i <= 130; i++) packets.push(sub(i, 'gz/v1/north/gw-north/state'));
      proxy.arm();
      flood.send(Buffer.concat(packets));
      const victimGranted = orNever(subscribe(victim, 'gz/v1/+/+/+/meta'));
      const ids: number[] = [];
      for (let i = 0; i < 130; i++) {
        const ack = (await flood.next('suback', 30_000)) as
          | { messageId?: number; granted?: number[] }
          | undefined;
        expect(ack?.granted).toEqual([1]);
        ids.push(ack?.messageId ?? 0);
      }
      expect(ids.sort((x, y) => x - y)).toEqual(Array.from({ length: 130 }, (_, i) => i + 1));
      expect(await victimGranted).toEqual([1]);
      expect(proxy.cuts()).toBe(1);
      // every write has settled: nothing is kept for them
      const text = a.metricsText();
      expect(text).toMatch(/^gz_broker_subscription_broadcasts_waiting 0$/m);
      expect(
        Number(/^gz_broker_subscription_broadcasts_resent_total (\d+)$/m.exec(text)?.[1]),
      ).toBeGreaterThan(0);
      // what reaches whom: the victim only its meta filter, the flooding session only its own
      const got = collect(victim);
      const gw = await login(b, 'gw-north');
      await gw.publishAsync('gz/v1/north/gw-north/d7/data', 'flood-only', { qos: 1 });
      await gw.publishAsync('gz/v1/north/gw-north/state', 'flood-only-2', { qos: 1 });
      await gw.publishAsync('gz/v1/north/gw-north/pm1/meta', 'victim-only', { qos: 1 });
      await got.match((m) => m.payload === 'victim-only');
      expect(got.got.map((m) => m.payload)).toEqual(['victim-only']);
      const d7 = (await flood.next('publish', 10_000)) as { topic?: string } | undefined;
      const st = (await flood.next('publish', 10_000)) as { topic?: string } | undefined;
      expect([d7?.topic, st?.topic].sort()).toEqual([
        'gz/v1/north/gw-north/d7/data',
        'gz/v1/north/gw-north/state',
      ]);
      expect(await flood.alive()).toBe(true);
      await endAll(victim, gw);
    } finally {
      await flood.destroy();
      await close();
    }
  }, 90_000);

  it('refuses a forged subscription broadcast: it neither answers nor adds to another session', async () => {
    const { a, b, close } = await pair(4);
    try {
      const victim = await login(a, 'ingest', { clientId: 'ganzhi-ingest-forged', clean: false });
      expect(await subscribe(victim, 'gz/v1/+/+/+/data')).toEqual([1]);
      await endAll(victim);
      // admin, the most trusted role, publishes the library's broadcast for the victim's session
      const root = await login(a, 'root');
      const denied = a.metrics.aclDeniedPublish;
      // a refused PUBLISH closes the connection (MQTT 3.1.1 has no negative PUBACK)
      root.publish(
        '$SYS/sub/add',
        JSON.stringify({
          clientId: 'ganzhi-ingest-forged',
          subs: [{ topic: 'gz/v1/south/+/state', qos: 1 }],
        }),
        { qos: 1 },
      );
      await closed(root);
      expect(a.metrics.aclDeniedPublish).toBe(denied + 1);
      // the victim is offline: what the other broker queues for it shows its subscriptions there
      const gw = await login(b, 'gw-south');
      await gw.publishAsync('gz/v1/south/gw-south/state', 'forged-filter', { qos: 1 });
      await gw.publishAsync('gz/v1/south/gw-south/pm1/data', 'own-filter', { qos: 1 });
      await waitFor('queued for the offline victim', async () =>
        (await storedQueue(b, 'ganzhi-ingest-forged')).length > 0 ? true : undefined,
      );
      expect(await storedQueue(b, 'ganzhi-ingest-forged')).toEqual(['gz/v1/south/gw-south/pm1/data']);
      expect(await storedSubscriptions(b, 'ganzhi-ingest-forged')).toEqual(['gz/v1/+/+/+/data']);
      await endAll(root, gw);
    } finally {
      await close();
    }
  }, 60_000);
});
