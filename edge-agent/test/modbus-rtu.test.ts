/**
 * Modbus RTU on a socat pty pair and RTU-over-TCP, against the fault-injecting RtuSlave:
 * values, CRC errors, exceptions, timeouts, dropped connections, recovery — and the bus
 * arbitration promise: one dead slave among ten costs the others at most its timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import { MemorySink } from '../src/acquisition/sink.js';
import { Agent } from '../src/agent.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { createModbusDriver } from '../src/drivers/modbus/index.js';
import type { ModbusDriver } from '../src/drivers/modbus/modbus-driver.js';
import { context, logger, modbusSpec } from './helpers.js';
import { RtuSlave } from './support/rtu-slave.js';

const byPoint = (rs: DriverReading[]) => Object.fromEntries(rs.map((r) => [r.point, r]));
const allGood = (rs: DriverReading[]) => rs.length > 0 && rs.every((r) => r.quality === 'good');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const socat = socatPeer();

describe.skipIf(!socat.ok)('Modbus RTU on a pty pair', () => {
  let pty: PtyPair;
  let port: SerialPort;
  const slave = new RtuSlave(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));

  beforeAll(async () => {
    pty = await ptyPair();
    port = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    slave.attach(port);
  });
  afterAll(async () => {
    await new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res()));
    await pty.close();
  });

  it('reads and decodes, and turns CRC errors, exceptions and silence into bad quality, then recovers', async () => {
    const d = createModbusDriver(
      modbusSpec(`modbus-rtu://${pty.a}?baud=9600&parity=N`, { unitId: 3, timeoutMs: 200 }),
      context(),
    ) as ModbusDriver;
    try {
      const r = byPoint(await d.read());
      expect(r.voltage).toMatchObject({ value: 223, quality: 'good' });
      expect(r.energy?.value).toBeCloseTo(1234.56);
      expect(r.relay?.value).toBe(true);

      slave.faults.set(3, 'crc');
      const crc = await d.read();
      expect(crc.every((x) => x.quality === 'bad' && x.reason === 'crc')).toBe(true);

      slave.faults.set(3, 'exception02');
      const ex = await d.read();
      expect(
        ex.every((x) => x.quality === 'bad' && x.reason === 'modbus exception 02 (illegal data address)'),
      ).toBe(true);

      slave.faults.set(3, 'dead');
      const dead = await d.read();
      expect(dead.every((x) => x.quality === 'bad' && x.reason === 'timeout')).toBe(true);

      slave.faults.set(3, 'ok');
      expect(allGood(await d.read())).toBe(true);
    } finally {
      slave.faults.clear();
      await d.close();
    }
  });

  it('one dead slave among ten: the other nine keep their poll rate', async () => {
    const intervalMs = 250;
    const windowMs = 4000;
    const sink = new MemorySink();
    const devices = Array.from({ length: 10 }, (_, i) =>
      modbusSpec(`modbus-rtu://${pty.a}?baud=9600`, {
        id: `meter-${i + 1}`,
        unitId: i + 1,
        timeoutMs: 100,
        retries: 2,
        pollIntervalMs: intervalMs,
        backoff: { failures: 1000, initialMs: 1000, maxMs: 1000 }, // no backoff: worst case every cycle
      }),
    );
    slave.faults.set(5, 'dead');
    const agent = await Agent.create({ devices, sink, logger });
    try {
      await agent.start();
      await sleep(windowMs);
    } finally {
      await agent.stop();
      slave.faults.clear();
    }
    const expected = windowMs / intervalMs;
    for (const rt of agent.devices) {
      const batches = sink.batches.filter((b) => b.device === rt.spec.id);
      if (rt.spec.protocol === 'modbus' && rt.spec.unitId === 5) {
        expect(
          batches.every((b) => b.readings.every((r) => r.quality === 'bad' && r.reason === 'timeout')),
        ).toBe(true);
        // its bus time: one request (one timeout) per cycle, plus the retries of its first cycle
        const { requests, cycles } = rt.driver.status().counters;
        expect(requests).toBeLessThanOrEqual(cycles + 2);
        continue;
      }
      const good = batches.filter((b) => allGood(b.readings)).length;
      // Expected: windowMs / interval polls, less one for the jittered start. Were the dead
      // slave to cost its retries × requests × timeout (1.2 s) per cycle, the others would get
      // about a fifth of that; the margin below only absorbs a loaded CI machine.
      expect(good, rt.spec.id).toBeGreaterThanOrEqual(Math.floor(expected * 0.7));
    }
  });
});

describe('Modbus RTU over TCP', () => {
  let server: Server;
  let portNo: number;
  const sockets = new Set<Socket>();
  const slave = new RtuSlave(new Set([1, 2]));

  beforeAll(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      slave.attach(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    portNo = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reads two units over one socket, reports CRC errors, survives a dropped connection', async () => {
    const ctx = context();
    const url = `modbus-rtutcp://127.0.0.1:${portNo}`;
    const d1 = createModbusDriver(modbusSpec(url, { id: 'a', unitId: 1 }), ctx);
    const d2 = createModbusDriver(modbusSpec(url, { id: 'b', unitId: 2 }), ctx);
    try {
      const [r1, r2] = await Promise.all([d1.read(), d2.read()]);
      expect(byPoint(r1).voltage, JSON.stringify(r1)).toMatchObject({ value: 221 });
      expect(byPoint(r2).voltage?.value).toBe(222);
      expect(sockets.size).toBe(1);

      slave.faults.set(2, 'crc');
      const [ok1, bad2] = await Promise.all([d1.read(), d2.read()]);
      expect(allGood(ok1)).toBe(true);
      expect(bad2.every((r) => r.reason === 'crc')).toBe(true);
      slave.faults.clear();

      for (const s of sockets) s.destroy();
      await sleep(50);
      let rs = await d1.read();
      for (let i = 0; i < 20 && !allGood(rs); i++) {
        expect(rs.every((r) => r.quality === 'bad' && r.reason)).toBe(true);
        await sleep(200);
        rs = await d1.read();
      }
      expect(allGood(rs)).toBe(true);
    } finally {
      await d1.close();
      await d2.close();
    }
  });
});
