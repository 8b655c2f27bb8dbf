/**
 * Modbus writes (issue 15) against the simulators: the streetlight switched on and off by
 * function 5 (and 15 when the device forces multiple writes), dimmed by 6 (16 when forced),
 * what the simulator's write log received, readback, device exceptions with their codes, the
 * read-only tables never written, a down unit answering `timeout` within its deadline, and a
 * write on a shared RTU line (socat pty pair) going ahead of the polls of another unit while
 * that unit's polling goes on.
 */
import { type ModbusPoint, type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { systemClock } from '@ganzhi/runtime';
import { parseScenario, Simulation } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import type { Driver, PointWrite, WriteOptions } from '../src/drivers/driver.js';
import { parseModbusEndpoint } from '../src/drivers/modbus/endpoint.js';
import { createModbusDriver } from '../src/drivers/modbus/index.js';
import { ModbusLine } from '../src/drivers/modbus/modbus-line.js';
import { context, logger, modbusSpec } from './helpers.js';

const light = ProfileRegistry.builtin().get('streetlight-controller') as Profile;
const socat = socatPeer();
const pt = (name: string) => light.points.find((p) => p.name === name)! as ModbusPoint;
const opts = (over: Partial<WriteOptions> = {}): WriteOptions => ({
  readback: false,
  deadline: Date.now() + 5000,
  ...over,
});

const SIGNALS = `
    signals:
      lamp_on: { kind: constant, value: false }
      dim_level: { kind: constant, value: 50 }
      supply_voltage: { kind: constant, value: 230 }
      driver_failure: { kind: constant, value: false }
      lamp_failure: { kind: constant, value: false }`;

describe('Modbus TCP writes to the simulated streetlight', () => {
  let sim: Simulation;
  let url: string;
  beforeAll(async () => {
    const { loaded, problems } = parseScenario(
      `seed: 3\ndevices:\n  - id: lamp\n    profile: streetlight-controller\n    endpoint: { protocol: modbus-tcp, port: 0 }\n    unit: 1${SIGNALS}\n`,
      's.yaml',
    );
    if (!loaded) throw new Error(JSON.stringify(problems));
    sim = await Simulation.start({ loaded, anyPort: true });
    url = `modbus-tcp://${sim.describe('lamp')!.address}`;
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const driver = (profile: Profile = light): Driver =>
    createModbusDriver(
      modbusSpec(url, { id: 'lamp', profile, points: profile.points, timeoutMs: 1000 }),
      context(),
    );

  it('switches on (FC 5 FF00), dims (FC 6), switches off (FC 5 0000) with readback; the lamp follows', async () => {
    const dev = sim.devices.get('lamp')!;
    const before = dev.writes.total;
    const d = driver();
    try {
      const writes: PointWrite[] = [
        { point: pt('lamp_on'), value: true },
        { point: pt('dim_level'), value: 30 },
      ];
      const r = await d.write!(writes, opts({ readback: true }));
      expect(r).toEqual([
        { point: 'lamp_on', outcome: 'ok', raw: true, readback: true },
        { point: 'dim_level', outcome: 'ok', raw: [30], readback: 30 },
      ]);
      const log = dev.writes.since(before);
      expect(log.map((w) => [w.function, w.table, w.address, w.words ?? w.bits, w.outcome])).toEqual([
        [5, 'coil', 0, [true], 'ok'],
        [6, 'holding', 0, [30], 'ok'],
      ]);
      const on = Object.fromEntries((await d.read()).map((x) => [x.point, x.value]));
      expect(on.lamp_on).toBe(true);
      expect(on.lamp_power as number).toBeGreaterThan(10);

      const off = await d.write!([{ point: pt('lamp_on'), value: false }], opts({ readback: true }));
      expect(off).toEqual([{ point: 'lamp_on', outcome: 'ok', raw: false, readback: false }]);
      const last = dev.writes.since(before).at(-1)!;
      expect([last.function, last.bits, last.outcome]).toEqual([5, [false], 'ok']);
      const now = Object.fromEntries((await d.read()).map((x) => [x.point, x.value]));
      expect(now.lamp_on).toBe(false);
    } finally {
      await d.close();
    }
  });

  it('uses FC 15 and FC 16 for single coils and registers when the profile sets writeMultiple', async () => {
    const dev = sim.devices.get('lamp')!;
    const before = dev.writes.total;
    const d = driver({ ...light, modbus: { ...light.modbus, writeMultiple: true } });
    try {
      const r = await d.write!(
        [
          { point: pt('lamp_on'), value: true },
          { point: pt('dim_level'), value: 80 },
          { point: pt('lamp_on'), value: false },
        ],
        opts(),
      );
      expect(r.map((x) => x.outcome)).toEqual(['ok', 'ok', 'ok']);
      expect(dev.writes.since(before).map((w) => [w.function, w.words ?? w.bits])).toEqual([
        [15, [true]],
        [16, [80]],
        [15, [false]],
      ]);
    } finally {
      await d.close();
    }
  });

  it('answers device-exception with the code: 03 for a value the device refuses, 02 for a register it refuses', async () => {
    const d = driver();
    try {
      // the executor checks range before a driver is called; the device's own refusal is tested here
      const [tooHigh] = await d.write!([{ point: pt('dim_level'), value: 150 }], opts());
      expect(tooHigh).toMatchObject({
        point: 'dim_level',
        outcome: 'device-exception',
        code: '03',
        raw: [150],
      });
      const ghost: ModbusPoint = {
        name: 'not_mapped',
        unit: '1',
        type: 'integer',
        access: 'read-write',
        modbus: { table: 'holding', address: 40, type: 'uint16' },
      };
      const [refused] = await d.write!([{ point: ghost, value: 1 }], opts());
      expect(refused).toMatchObject({ outcome: 'device-exception', code: '02' });
      expect(refused?.reason).toMatch(/illegal data address/);
    } finally {
      await d.close();
    }
  });

  it('never writes the input or discrete tables, nor a bit of a register', async () => {
    const dev = sim.devices.get('lamp')!;
    const before = dev.writes.total;
    const d = driver();
    try {
      const r = await d.write!(
        [
          { point: { ...pt('lamp_power'), access: 'read-write' }, value: 10 },
          { point: { ...pt('lamp_failure'), access: 'read-write' }, value: true },
          {
            point: { ...pt('lamp_failure'), modbus: { table: 'holding', address: 0, type: 'bit', bit: 1 } },
            value: true,
          },
        ],
        opts(),
      );
      expect(r.map((x) => x.outcome)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(r[0]?.reason).toMatch(/input registers table, which is read-only/);
      expect(r[2]?.reason).toMatch(/bit writes are not supported/);
      expect(dev.writes.total).toBe(before);
    } finally {
      await d.close();
    }
  });

  it('inverts scale for the raw written and reads back through the same scale; the codec refuses what does not fit', async () => {
    // dim_level described to the agent as scaled by 0.5: writing 40 sends raw 80
    const dev = sim.devices.get('lamp')!;
    const d = driver();
    try {
      const [ok] = await d.write!(
        [{ point: { ...pt('dim_level'), scale: 0.5 }, value: 40 }],
        opts({ readback: true }),
      );
      expect(ok).toMatchObject({ outcome: 'ok', raw: [80], readback: 40 });
      expect(dev.writes.since(0).at(-1)?.words).toEqual([80]);
      // a bad value rejected by the codec: never on the wire
      const [bad] = await d.write!([{ point: pt('dim_level'), value: 70000 }], opts());
      expect(bad).toMatchObject({ outcome: 'rejected' });
      expect(bad?.reason).toMatch(/outside 0\.\.65535/);
    } finally {
      await d.close();
    }
  });
});

describe.skipIf(!socat.ok)(`Modbus RTU writes on a shared line${socat.ok ? '' : ` (${socat.why})`}`, () => {
  let sim: Simulation;
  let pty: PtyPair;
  beforeAll(async () => {
    pty = await ptyPair();
    const dev = (id: string, unit: number) =>
      `  - id: ${id}\n    profile: streetlight-controller\n    endpoint: { protocol: modbus-rtu, device: ${pty.b} }\n    unit: ${unit}${SIGNALS}\n`;
    const { loaded, problems } = parseScenario(`seed: 5\ndevices:\n${dev('l1', 1)}${dev('l2', 2)}`, 'r.yaml');
    if (!loaded) throw new Error(JSON.stringify(problems));
    sim = await Simulation.start({ loaded, anyPort: true });
  });
  afterAll(async () => {
    await sim?.stop();
    await pty?.close();
  });

  it('writes unit 1 while unit 2 keeps being polled; a unit not on the bus answers timeout by its deadline', async () => {
    const ctx = context();
    const url = `modbus-rtu://${pty.a}?baud=9600`;
    const spec = (id: string, unitId: number) =>
      modbusSpec(url, { id, unitId, profile: light, points: light.points, timeoutMs: 500 });
    const d1 = createModbusDriver(spec('l1', 1), ctx);
    const d2 = createModbusDriver(spec('l2', 2), ctx);
    const ghost = createModbusDriver(spec('ghost', 9), ctx);
    let polling = true;
    let good = 0;
    const poller = (async () => {
      while (polling) {
        const rs = await d2.read();
        if (rs.every((r) => r.quality !== 'bad')) good++;
      }
    })();
    try {
      while (good < 2) await new Promise((r) => setTimeout(r, 20));
      const before = good;
      const r = await d1.write!(
        [
          { point: pt('lamp_on'), value: true },
          { point: pt('dim_level'), value: 65 },
        ],
        opts({ readback: true }),
      );
      expect(r.map((x) => x.outcome)).toEqual(['ok', 'ok']);
      const log = sim.devices.get('l1')!.writes.since(0);
      expect(log.map((w) => [w.unit, w.function, w.words ?? w.bits])).toEqual([
        [1, 5, [true]],
        [1, 6, [65]],
      ]);
      expect(sim.devices.get('l2')!.writes.total).toBe(0);

      const [t] = await ghost.write!(
        [{ point: pt('lamp_on'), value: true }],
        opts({ deadline: Date.now() + 300 }),
      );
      expect(t).toMatchObject({ point: 'lamp_on', outcome: 'timeout', reason: 'timeout' });

      // a write whose deadline has passed while queued is never sent
      const [late] = await d1.write!(
        [{ point: pt('dim_level'), value: 10 }],
        opts({ deadline: Date.now() - 1 }),
      );
      expect(late).toMatchObject({ outcome: 'timeout' });
      expect(sim.devices.get('l1')!.writes.total).toBe(2);

      while (good < before + 2) await new Promise((r) => setTimeout(r, 20));
    } finally {
      polling = false;
      await poller;
      await d1.close();
      await d2.close();
      await ghost.close();
    }
  });
});

describe('ModbusLine queue', () => {
  let sim: Simulation;
  beforeAll(async () => {
    const { loaded } = parseScenario(
      `devices:\n  - id: lamp\n    profile: streetlight-controller\n    endpoint: { protocol: modbus-tcp, port: 0 }\n    unit: 1${SIGNALS}\n`,
      'q.yaml',
    );
    sim = await Simulation.start({ loaded: loaded!, anyPort: true });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('runs a priority transaction (a write) ahead of every queued poll, after the one on the line', async () => {
    const line = new ModbusLine({
      endpoint: parseModbusEndpoint(`modbus-tcp://${sim.describe('lamp')!.address}`, 9600),
      clock: systemClock,
      random: () => 0.5,
      logger,
    });
    const order: string[] = [];
    const job = (name: string) => async () => {
      order.push(name);
      await new Promise((r) => setTimeout(r, 5));
      return name;
    };
    try {
      const polls = ['poll-1', 'poll-2', 'poll-3'].map((n) => line.transaction(1, 500, job(n)));
      const w1 = line.transaction(1, 500, job('write-1'), { priority: true });
      const w2 = line.transaction(1, 500, job('write-2'), { priority: true });
      await Promise.all([...polls, w1, w2]);
      expect(order).toEqual(['poll-1', 'write-1', 'write-2', 'poll-2', 'poll-3']);
    } finally {
      await line.close();
    }
  });
});
