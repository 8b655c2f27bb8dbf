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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { waitFor } from '../../test-support/process.js';
import { collect, endAll, login, startTestBroker, subscribe } from './helpers.js';
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
 * one that sent a PSUBSCRIBE) when a `$SYS/sub/add` PUBLISH passes, and forwards that PUBLISH
 * only after Redis no longer lists the cut connection.
 */
async function cuttingProxy(redisPort: number, admin: Redis) {
  const conns = new Set<Conn>();
  let armed = false;
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
      if (armed && !c.subscriber && text.includes('$SYS/sub/add')) {
        armed = false;
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
    /** the next `$SYS/sub/add` PUBLISH cuts the subscriber connection */
    arm() {
      armed = true;
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

/** A liveness bound, not a timing one: the lost SUBACK never comes. */
function orNever<T>(p: Promise<T>, ms = 20_000): Promise<T | 'no SUBACK'> {
  return Promise.race([p, new Promise<'no SUBACK'>((r) => setTimeout(() => r('no SUBACK'), ms))]);
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
});
