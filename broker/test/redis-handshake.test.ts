/**
 * Redis mode: a subscription the emitter makes while its connection is still handshaking takes
 * effect, and a message published right after it arrives.
 *
 * ioredis writes a PSUBSCRIBE at once during its handshake; when the reply comes in the same
 * read as the handshake replies, the connection is in subscriber mode before ioredis sends its
 * ready check (INFO), which it then refuses itself: the connection is dropped and resubscribed
 * ~50 ms later, and what was published in between is lost. In the broker that lost Aedes'
 * `$SYS/sub/add` broadcast, which aedes-persistence-redis waits for before the SUBACK (the first
 * persistent SUBSCRIBE after a start hung, about 1 start in 100 in cluster-redis.test.ts).
 * A fault-injecting TCP proxy holds Redis' replies on each connection until the client has sent
 * a PSUBSCRIBE (or 300 ms passed), then sends them in one write: the race every time.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { choosePersistence } from '../src/persistence/choose.js';
import { type RedisServer, startRedis } from './redis-fixture.js';

const redisBin = peer('redis-server', 'redis-server');

/** Fault injection: replies held back per connection until its first PSUBSCRIBE (or `ms`). */
function holdingProxy(redisPort: number, ms: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(redisPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let held: Buffer[] | undefined = [];
    const release = () => {
      if (!held) return;
      const all = Buffer.concat(held);
      held = undefined;
      if (all.length > 0) client.write(all);
    };
    const timer = setTimeout(release, ms);
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      // the reply to the PSUBSCRIBE joins the held ones: give Redis a moment to answer it
      if (held && /psubscribe/i.test(d.toString('latin1'))) setTimeout(release, 20);
    });
    upstream.on('data', (d: Buffer) => {
      if (held) held.push(d);
      else client.write(d);
    });
    const end = () => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a ? a.port : 0,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    });
  });
}

interface Emitter {
  /** mqemitter-redis' subscriber connection (ioredis) */
  subConn: { status: string };
  on(topic: string, fn: (packet: { topic: string }, cb: () => void) => void, done: () => void): void;
  emit(packet: { topic: string; payload: Buffer }, cb: (err?: Error) => void): void;
}

describe.skipIf(!redisBin.ok)('Redis emitter handshake', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis(redisBin.path);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('delivers a message published right after a subscription made during the handshake', async () => {
    const proxy = await holdingProxy(redis.port, 300);
    const errors: Error[] = [];
    const store = choosePersistence({
      redis: `redis://127.0.0.1:${proxy.port}/2`,
      maxQueuedPerClient: 10,
      onDrop: () => {},
      onBackendError: (err) => errors.push(err),
    });
    const mq = store.mq as Emitter;
    try {
      const got: string[] = [];
      // TCP up, handshake replies held back by the proxy: the PSUBSCRIBE goes out at once
      while (mq.subConn.status !== 'connect') await new Promise((r) => setTimeout(r, 2));
      await new Promise<void>((subscribed) =>
        mq.on(
          '$SYS/sub/+',
          (packet, cb) => {
            got.push(packet.topic);
            cb();
          },
          subscribed,
        ),
      );
      await new Promise<void>((sent, failed) =>
        mq.emit({ topic: '$SYS/sub/add', payload: Buffer.from('{}') }, (err) => (err ? failed(err) : sent())),
      );
      // a liveness bound, not a timing one: the lost message never comes
      const deadline = Date.now() + 10_000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(['$SYS/sub/add']);
      expect(errors.map((e) => e.message)).toEqual([]);
    } finally {
      await new Promise<void>((r) => (mq as unknown as { close(cb: () => void): void }).close(r));
      await store.close();
      proxy.close();
    }
  }, 30_000);
});
