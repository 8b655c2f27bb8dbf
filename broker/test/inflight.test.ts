/**
 * limits.maxInflightOutbound on the wire: a raw subscriber that withholds PUBACKs sees exactly N
 * un-acknowledged PUBLISH packets, each ack lets exactly one more out, everything arrives in
 * order, the skip paths of Aedes (QoS downgrade, dedupe) leak no slot, and publishers are never
 * held up by the stalled subscriber.
 */
import type { IPublishPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import type { RunningBroker } from '../src/index.js';
import { collect, connect, endAll, roundTrip, startTestBroker, tcpUrl } from './helpers.js';
import { connectPacket, RawClient } from './raw-client.js';

const N = 5;

function brokerWith(tweak: { maxQueuedPerClient?: number } = {}): Promise<RunningBroker> {
  return startTestBroker((cfg) => {
    cfg.allowAnonymous = true;
    cfg.limits.maxInflightOutbound = N;
    if (tweak.maxQueuedPerClient !== undefined) cfg.limits.maxQueuedPerClient = tweak.maxQueuedPerClient;
  });
}

async function rawSubscriber(
  b: RunningBroker,
  clientId: string,
  clean: boolean,
  filter?: string,
): Promise<{ raw: RawClient; sessionPresent: boolean }> {
  const raw = await RawClient.open(b.addresses.tcp?.port ?? 0);
  raw.send(connectPacket({ clientId, clean }));
  const connack = (await raw.next('connack')) as { sessionPresent: boolean } | undefined;
  if (!connack) throw new Error('no CONNACK');
  if (filter) {
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] });
    await raw.next('suback');
  }
  return { raw, sessionPresent: connack.sessionPresent };
}

const publishes = (raw: RawClient) => raw.packets.filter((p): p is IPublishPacket => p.cmd === 'publish');

/** After a PINGREQ round trip every PUBLISH the broker wrote before it has been read. */
async function settled(raw: RawClient): Promise<IPublishPacket[]> {
  expect(await raw.alive()).toBe(true);
  return publishes(raw);
}

/** Waits (by round trips) until `n` PUBLISH packets have arrived; fails if more arrive. */
async function until(raw: RawClient, n: number): Promise<IPublishPacket[]> {
  for (let i = 0; i < 200; i++) {
    const got = await settled(raw);
    if (got.length >= n) return got;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`only ${publishes(raw).length} of ${n} PUBLISH arrived`);
}

/**
 * Acknowledges the received PUBLISH packets one at a time, checking after each ack that exactly
 * one more message came out (until `total`). Returns every payload received.
 */
async function drainOneByOne(raw: RawClient, total: number): Promise<string[]> {
  let acked = 0;
  for (;;) {
    const got = await until(raw, Math.min(total, acked + N));
    expect(got.length).toBe(Math.min(total, acked + N));
    if (acked === total) return got.map((p) => p.payload.toString());
    const next = got[acked] as IPublishPacket;
    raw.send({ cmd: 'puback', messageId: next.messageId as number });
    acked++;
  }
}

function client(b: RunningBroker, id: string) {
  const c = b.clients().find((x) => x.clientId === id);
  if (!c) throw new Error(`client ${id} not connected`);
  return c;
}

/** Waits until `n` messages have passed into the client's window (in flight + waiting). */
async function windowHolds(b: RunningBroker, id: string, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const c = b.clients().find((x) => x.clientId === id);
    if (c && (c.inflight ?? 0) + (c.waiting ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the window of ${id} never held ${n} messages`);
}

const seq = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `m${from + i}`);

describe('outgoing in-flight limit (maxInflightOutbound)', () => {
  it('clean session: exactly N un-acked, one more per ack, all in order; the publisher is never held', async () => {
    const b = await brokerWith();
    const { raw } = await rawSubscriber(b, 'slow-clean', true, 't/#');
    const pub = await connect(tcpUrl(b));
    try {
      // every publish gets its PUBACK although the subscriber acknowledges nothing
      for (let i = 0; i < 40; i++) await pub.publishAsync(`t/${i % 3}`, `m${i}`, { qos: 1 });
      const stalled = await settled(raw);
      expect(stalled.length).toBe(N);
      expect(client(b, 'slow-clean')).toMatchObject({ inflight: N, waiting: 40 - N });
      expect(b.metricsText()).toContain(`gz_broker_inflight_out_messages ${N}`);
      expect(b.metricsText()).toContain(`gz_broker_inflight_waiting_messages ${40 - N}`);
      expect(b.metricsText()).toContain(`gz_broker_client_inflight_out{client="slow-clean"} ${N}`);

      expect(await drainOneByOne(raw, 40)).toEqual(seq(0, 40));
      expect(client(b, 'slow-clean')).toMatchObject({ inflight: 0, waiting: 0 });
      expect(b.metricsText()).toContain('gz_broker_inflight_out_messages 0');
    } finally {
      await raw.destroy();
      await endAll(pub);
      await b.close();
    }
  });

  it('QoS 2: the slot is held through PUBREC and freed by PUBCOMP', async () => {
    const b = await brokerWith();
    const raw = await RawClient.open(b.addresses.tcp?.port ?? 0);
    raw.send(connectPacket({ clientId: 'slow-q2', clean: true }));
    await raw.next('connack');
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q2', qos: 2 }] });
    await raw.next('suback');
    const pub = await connect(tcpUrl(b));
    try {
      for (let i = 0; i < N + 3; i++) await pub.publishAsync('q2', `m${i}`, { qos: 2 });
      const got = await settled(raw);
      expect(got.length).toBe(N);
      const first = got[0] as IPublishPacket;
      raw.send({ cmd: 'pubrec', messageId: first.messageId as number });
      expect(await raw.next('pubrel')).toBeDefined();
      expect((await settled(raw)).length).toBe(N); // PUBREC does not free the slot
      raw.send({ cmd: 'pubcomp', messageId: first.messageId as number });
      expect((await until(raw, N + 1)).length).toBe(N + 1);
      expect(client(b, 'slow-q2')).toMatchObject({ inflight: N, waiting: 2 });
    } finally {
      await raw.destroy();
      await endAll(pub);
      await b.close();
    }
  });

  it('the wait line is bounded by maxQueuedPerClient: beyond it messages are dropped and counted', async () => {
    const b = await brokerWith({ maxQueuedPerClient: 10 });
    const { raw } = await rawSubscriber(b, 'slow-capped', true, 't/#');
    const pub = await connect(tcpUrl(b));
    try {
      for (let i = 0; i < 30; i++) await pub.publishAsync('t/a', `m${i}`, { qos: 1 });
      expect((await settled(raw)).length).toBe(N);
      expect(client(b, 'slow-capped')).toMatchObject({ inflight: N, waiting: 10 });
      expect(b.metrics.queueDrops).toBe(30 - N - 10);
      expect(await drainOneByOne(raw, N + 10)).toEqual(seq(0, N + 10));
    } finally {
      await raw.destroy();
      await endAll(pub);
      await b.close();
    }
  });

  it('persistent session: the limit holds live and for the resumed backlog; nothing lost, order kept', async () => {
    const b = await brokerWith();
    const pub = await connect(tcpUrl(b));
    let { raw } = await rawSubscriber(b, 'slow-persist', false, 't/#');
    try {
      for (let i = 0; i < 20; i++) await pub.publishAsync('t/a', `m${i}`, { qos: 1 });
      const first = await settled(raw);
      expect(first.length).toBe(N);
      // acknowledge two, then drop the connection with N in flight and 13 waiting
      for (const p of first.slice(0, 2)) raw.send({ cmd: 'puback', messageId: p.messageId as number });
      expect((await until(raw, N + 2)).length).toBe(N + 2);
      await raw.destroy();
      for (let i = 20; i < 30; i++) await pub.publishAsync('t/a', `m${i}`, { qos: 1 });

      const resumed = await rawSubscriber(b, 'slow-persist', false);
      raw = resumed.raw;
      expect(resumed.sessionPresent).toBe(true);
      // the backlog is m2..m29 (the unacknowledged in-flight ones are sent again); N at a time
      await windowHolds(b, 'slow-persist', 28);
      expect((await settled(raw)).length).toBe(N);
      expect(client(b, 'slow-persist')).toMatchObject({ inflight: N });
      // live messages published while the backlog drains come after it
      for (let i = 30; i < 35; i++) await pub.publishAsync('t/a', `m${i}`, { qos: 1 });
      expect(await drainOneByOne(raw, 33)).toEqual(seq(2, 35));
      expect(client(b, 'slow-persist')).toMatchObject({ inflight: 0, waiting: 0, queued: 0 });
    } finally {
      await raw.destroy();
      await endAll(pub);
      await b.close();
    }
  });

  it('resume: messages published while the backlog is being sent come after it, each once', async () => {
    const b = await brokerWith();
    const pub = await connect(tcpUrl(b));
    let { raw } = await rawSubscriber(b, 'resume-order', false, 't/#');
    try {
      await raw.destroy();
      for (let i = 0; i < 30; i++) await pub.publishAsync('t/a', `m${i}`, { qos: 1 });
      // reconnect and publish at the same time: Aedes restores the subscription before it sends
      // the backlog, so without ResumeOrder these overtake it (and one comes twice)
      const resuming = rawSubscriber(b, 'resume-order', false);
      for (let i = 30; i < 40; i++) await pub.publishAsync('t/a', `m${i}`, { qos: 1 });
      raw = (await resuming).raw;
      await windowHolds(b, 'resume-order', 40);
      expect(await drainOneByOne(raw, 40)).toEqual(seq(0, 40));
      expect(client(b, 'resume-order')).toMatchObject({ inflight: 0, waiting: 0, queued: 0 });
    } finally {
      await raw.destroy();
      await endAll(pub);
      await b.close();
    }
  });

  it('session takeover frees the old connection’s slots', async () => {
    const b = await brokerWith();
    const pub = await connect(tcpUrl(b));
    const old = await rawSubscriber(b, 'taken-over', false, 't/#');
    try {
      for (let i = 0; i < 10; i++) await pub.publishAsync('t/a', `m${i}`, { qos: 1 });
      expect((await settled(old.raw)).length).toBe(N);
      const next = await rawSubscriber(b, 'taken-over', false);
      await old.raw.whenClosed();
      await windowHolds(b, 'taken-over', 10);
      expect((await settled(next.raw)).length).toBe(N);
      expect(await drainOneByOne(next.raw, 10)).toEqual(seq(0, 10));
      expect(b.metricsText()).toContain('gz_broker_inflight_out_messages 0');
      await next.raw.destroy();
    } finally {
      await old.raw.destroy();
      await endAll(pub);
      await b.close();
    }
  });

  it.each([
    ['clean', true],
    ['persistent', false],
  ])('%s session: QoS downgrade and dedupe paths leak no slot', async (_name, clean) => {
    const b = await brokerWith();
    const pub = await connect(tcpUrl(b));
    const sub = await connect(tcpUrl(b), { clientId: `leak-${_name}`, clean });
    const got = collect(sub);
    try {
      // 'down' at QoS 0: Aedes builds a QoS packet, then downgrades it and writes QoS 0.
      // 'dup/x' matched by two filters: Aedes is handed it twice and dedupes the second.
      await sub.subscribeAsync('down', { qos: 0 });
      await sub.subscribeAsync(['dup/+', 'dup/#'], { qos: 1 });
      for (let i = 0; i < 150; i++) {
        await pub.publishAsync('down', `d${i}`, { qos: 1 });
        await pub.publishAsync('dup/x', `x${i}`, { qos: 1 });
      }
      await got.until(300);
      await roundTrip(sub, 'probe'); // the broker has read every PUBACK sent before
      expect(got.got.filter((m) => m.topic === 'down').every((m) => m.qos === 0)).toBe(true);
      expect(got.got.filter((m) => m.topic === 'dup/x').map((m) => m.payload)).toEqual(
        Array.from({ length: 150 }, (_, i) => `x${i}`),
      );
      const me = client(b, `leak-${_name}`);
      expect(me).toMatchObject({ inflight: 0, waiting: 0 });
      // a leaked slot would stall this client for good: the window must still open fully
      await sub.subscribeAsync('after', { qos: 1 });
      for (let i = 0; i < 3 * N; i++) await pub.publishAsync('after', `a${i}`, { qos: 1 });
      await got.until(300 + 3 * N);
      await roundTrip(sub, 'probe');
      expect(client(b, `leak-${_name}`)).toMatchObject({ inflight: 0, waiting: 0 });
    } finally {
      await endAll(sub, pub);
      await b.close();
    }
  });

  it('maxInflightOutbound 0 turns the window off (Aedes writes everything at once)', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.allowAnonymous = true;
      cfg.limits.maxInflightOutbound = 0;
    });
    const { raw } = await rawSubscriber(b, 'unlimited', true, 't/#');
    const pub = await connect(tcpUrl(b));
    try {
      for (let i = 0; i < 3 * N; i++) await pub.publishAsync('t/a', `m${i}`, { qos: 1 });
      expect((await until(raw, 3 * N)).length).toBe(3 * N);
      expect(client(b, 'unlimited')).toMatchObject({ inflight: null, waiting: null });
      expect(b.metricsText()).not.toContain('gz_broker_inflight_out_messages');
    } finally {
      await raw.destroy();
      await endAll(pub);
      await b.close();
    }
  });
});
