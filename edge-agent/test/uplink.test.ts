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

/** A real memory log whose appends are counted, and can be made to fail as a full disk does (FAKE fault). */
function countedLog() {
  const log = createMemoryLog();
  const state = { appends: 0, diskFull: false, recordsReadBack: 0 };
  const counted = new Proxy(log, {
    get(target, key) {
      if (key === 'readFrom')
        return (offset: number, max?: { records?: number }) => {
          const got = target.readFrom(offset, max);
          state.recordsReadBack += got.length;
          return got;
        };
      if (key === 'appendMany')
        return (payloads: Uint8Array[]) => {
          state.appends++;
          if (state.diskFull)
            throw Object.assign(new Error('no space left (fault injection)'), { code: 'GZ_LOG_DISK_FULL' });
          return target.appendMany(payloads);
        };
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { log: counted, state };
}

const seqsIn = (log: ReturnType<typeof createMemoryLog>) =>
  log.readFrom(0).map((r) => {
    const payload = r.payload.subarray(r.payload.indexOf(10) + 1);
    const d = decodeDataBatch(payload);
    if (!d.ok) throw new Error('undecodable record');
    return [r.offset, d.value.seq, d.value.readings[0]?.value];
  });

describe('uplink: acceptance per poll slot', () => {
  it("appends a slot's batches in one write, numbered as the log numbers them, and delivers them in order", async () => {
    const t0 = 1_764_200_000_000;
    const broker = await startBroker();
    cleanup.push(() => broker.close());
    const { log, state } = countedLog();
    const up = makeUplink(broker.port, log);
    const received: DataBatch[] = [];
    const sub = await subscribe(broker.port, received);
    cleanup.push(() => sub.endAsync());
    up.start();
    await until('connect', () => up.counters.connected);

    const accepted = [0, 1, 2, 3, 4].map((i) => up.accept('m1', readings(i, t0)));
    // nothing is accepted before the slot's write
    expect(state.appends).toBe(0);
    expect(log.nextOffset).toBe(0);
    expect(await Promise.all(accepted)).toEqual([2, 2, 2, 2, 2]);
    expect(state.appends).toBe(1);
    // published from memory, as appended, in the same turn: nothing read back from the log
    expect(state.recordsReadBack).toBe(0);
    expect(seqsIn(log)).toEqual([0, 1, 2, 3, 4].map((i) => [i, i, 200 + i]));
    expect(up.counters.readingsAccepted).toBe(10);
    state.recordsReadBack = 0; // (seqsIn read them)

    await until('delivered', () => received.length >= 5 && up.backlog() === 0);
    expect(received.map((b) => [b.seq, b.readings[0]?.value])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [i, 200 + i]),
    );
    expect(state.recordsReadBack).toBe(0);
  });

  it('puts batches waiting for their slot in the log before a direct submit, and before stop returns', async () => {
    const t0 = 1_764_200_000_000;
    const broker = await startBroker();
    const port = broker.port;
    await broker.close(); // nothing listens: everything stays in the log
    const { log } = countedLog();
    const up = makeUplink(port, log);
    up.start();
    const first = up.accept('m1', readings(0, t0));
    const second = up.accept('m1', readings(1, t0));
    expect(up.submit('m1', readings(2, t0))).toBe(2);
    expect(await Promise.all([first, second])).toEqual([2, 2]);
    const late = up.accept('m1', readings(3, t0));
    await up.stop(0);
    expect(await late).toBe(2);
    expect(seqsIn(log)).toEqual([0, 1, 2, 3].map((i) => [i, i, 200 + i]));
  });

  it('refuses every batch of a slot whose write hits a full disk, counts them, and leaves no gap in the numbering', async () => {
    const t0 = 1_764_200_000_000;
    const broker = await startBroker();
    const port = broker.port;
    await broker.close();
    const { log, state } = countedLog();
    const up = makeUplink(port, log);
    up.start();
    state.diskFull = true;
    const refused = await Promise.all([0, 1, 2].map((i) => up.accept('m1', readings(i, t0))));
    expect(refused).toEqual([0, 0, 0]);
    expect(up.counters.readingsRejectedDiskFull).toBe(6);
    expect(up.counters.readingsAccepted).toBe(0);
    expect(log.nextOffset).toBe(0);
    state.diskFull = false;
    expect(await up.accept('m1', readings(3, t0))).toBe(2);
    expect(seqsIn(log)).toEqual([[0, 0, 203]]);
  });
});
