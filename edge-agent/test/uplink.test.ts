/**
 * Store-and-forward through a real Aedes broker on a loopback port, with real MQTT.js
 * clients on both ends: outages, buffer bounds and ordering as a subscriber sees them.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type DataBatch, decodeDataBatch, type Profile, type Reading } from '@ganzhi/device-profiles';
import { createMemoryLog } from '@ganzhi/durable-log';
import { systemClock } from '@ganzhi/runtime';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Uplink } from '../src/delivery/uplink.js';

const profile: Profile = {
  id: 'test-meter',
  version: '1.0.0',
  manufacturer: 'Test',
  model: 'M1',
  description: 'test',
  source: { document: 'none (test fixture)' },
  measurement: 'energy_meter',
  protocol: 'modbus',
  points: [
    { name: 'voltage', unit: 'V', type: 'float', modbus: { table: 'input', address: 0, type: 'float32' } },
    { name: 'current', unit: 'A', type: 'float', modbus: { table: 'input', address: 2, type: 'float32' } },
  ],
};

interface BrokerHandle {
  port: number;
  close(): Promise<void>;
}

async function startBroker(port = 0): Promise<BrokerHandle> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}

function readings(n: number, t0: number): Reading[] {
  return [
    { device: 'm1', point: 'voltage', value: 200 + n, unit: 'V', ts: t0 + n * 1000, quality: 'good' },
    { device: 'm1', point: 'current', value: n / 10, unit: 'A', ts: t0 + n * 1000, quality: 'good' },
  ];
}

async function subscribe(port: number, received: DataBatch[]): Promise<MqttClient> {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `sub-${Math.random()}`,
    clean: true,
  });
  sub.on('message', (topic, payload) => {
    if (!topic.endsWith('/data')) return;
    const d = decodeDataBatch(payload);
    if (d.ok) received.push(d.value);
  });
  await sub.subscribeAsync('gz/v1/+/+/+/data', { qos: 1 });
  return sub;
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});

function makeUplink(port: number, log = createMemoryLog()): Uplink {
  const up = new Uplink(
    {
      district: 'dongcheng',
      gateway: 'gw-01',
      stream: 'teststream',
      agentVersion: '0.0.0-test',
      devices: [{ id: 'm1', profile }],
      delivery: { mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnect: { initialMs: 50, maxMs: 200 } } },
    },
    {
      log,
      logger: pino({ level: 'silent' }),
      clock: systemClock,
      random: Math.random,
      connect: mqtt.connect,
    },
  );
  cleanup.push(() => up.stop(0));
  return up;
}

describe('uplink store-and-forward', () => {
  it('delivers every batch accepted during a broker outage exactly once per sequence number, oldest first', async () => {
    const t0 = 1_764_200_000_000;
    let broker = await startBroker();
    const port = broker.port;
    const up = makeUplink(port);
    up.start();
    await until('connect', () => up.counters.connected);
    for (let i = 0; i < 5; i++) up.submit('m1', readings(i, t0));
    await until('first acks', () => up.backlog() === 0);

    await broker.close();
    await until('disconnect seen', () => !up.counters.connected);
    for (let i = 5; i < 105; i++) up.submit('m1', readings(i, t0));
    expect(up.backlog()).toBe(100);

    broker = await startBroker(port);
    cleanup.push(() => broker.close());
    const received: DataBatch[] = [];
    const sub = await subscribe(port, received);
    cleanup.push(() => sub.endAsync());
    await until('backlog drained', () => up.backlog() === 0 && received.length >= 100);

    const seqs = received.map((b) => b.seq);
    // each outage batch arrives; a redelivery would repeat a seq, never invent one
    expect([...new Set(seqs)]).toEqual(Array.from({ length: 100 }, (_, i) => i + 5));
    // oldest first: first arrivals are in sequence order
    const firsts = seqs.filter((s, i) => seqs.indexOf(s) === i);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    // source timestamps intact
    for (const b of received) {
      expect(b.readings[0]?.ts).toBe(t0 + b.seq * 1000);
      expect(b.readings[0]?.value).toBe(200 + b.seq);
      expect(b.stream).toBe('teststream');
    }
  });

  it('counts exactly the batches a full buffer dropped, and the gap in sequence numbers matches', async () => {
    const t0 = 1_764_200_000_000;
    const broker = await startBroker();
    const port = broker.port;
    await broker.close(); // nothing listens: the uplink buffers
    const log = createMemoryLog({ maxBytes: 20_000 });
    const up = makeUplink(port, log);
    up.start();
    for (let i = 0; i < 200; i++) up.submit('m1', readings(i, t0));
    const dropped = log.stats().dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(up.backlog()).toBe(200 - dropped);

    const again = await startBroker(port);
    cleanup.push(() => again.close());
    const received: DataBatch[] = [];
    const sub = await subscribe(port, received);
    cleanup.push(() => sub.endAsync());
    await until(
      'drained',
      () => up.backlog() === 0 && new Set(received.map((b) => b.seq)).size >= 200 - dropped,
    );
    const seqs = [...new Set(received.map((b) => b.seq))].sort((a, b) => a - b);
    // drop-oldest: what is missing is exactly the first `dropped` sequence numbers
    expect(seqs).toEqual(Array.from({ length: 200 - dropped }, (_, i) => i + dropped));
  });

  it('publishes a retained birth, device meta, and an offline will when the gateway dies', async () => {
    const broker = await startBroker();
    cleanup.push(() => broker.close());
    const up = makeUplink(broker.port);
    up.start();
    await until('connect', () => up.counters.connected);
    up.setStatus('m1', { state: 'up', ts: Date.now(), since: Date.now() });

    const seen = new Map<string, string>();
    const viewer = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'viewer' });
    cleanup.push(() => viewer.endAsync());
    viewer.on('message', (topic, payload) => seen.set(topic, payload.toString()));
    await viewer.subscribeAsync('gz/v1/#', { qos: 1 });
    await until('retained messages', () => seen.size >= 3);
    expect(JSON.parse(seen.get('gz/v1/dongcheng/gw-01/state') ?? '{}')).toMatchObject({
      state: 'online',
      stream: 'teststream',
    });
    expect(JSON.parse(seen.get('gz/v1/dongcheng/gw-01/m1/meta') ?? '{}')).toMatchObject({
      profile: 'test-meter',
    });
    expect(JSON.parse(seen.get('gz/v1/dongcheng/gw-01/m1/status') ?? '{}')).toMatchObject({ state: 'up' });

    // the gateway's connection dies without a DISCONNECT: the broker fires the will
    (up as unknown as { client: MqttClient }).client.stream.destroy();
    await until(
      'will',
      () => JSON.parse(seen.get('gz/v1/dongcheng/gw-01/state') ?? '{}').state === 'offline',
    );
  });
});
