/**
 * The Modbus driver against the simulators (E1) on all three transports, with the
 * builtin eastron-sdm630 profile: values equal the simulator's ground truth (what it
 * served), every fault kind surfaces with the right quality and reason, and recovery is
 * automatic once the fault is cleared.
 */
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { parseScenario, type SimDevice, Simulation } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import type { Driver, DriverReading } from '../src/drivers/driver.js';
import { createModbusDriver } from '../src/drivers/modbus/index.js';
import { context, modbusSpec } from './helpers.js';

const profile = ProfileRegistry.builtin().get('eastron-sdm630')!;
const socat = socatPeer();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectTruth(rs: DriverReading[], dev: SimDevice): void {
  const truth = dev.truth();
  expect(rs.length).toBe(profile.points.length);
  for (const r of rs) {
    expect(r.quality, `${r.point}: ${r.reason}`).not.toBe('bad');
    const t = truth[r.point]?.last?.value;
    if (typeof t === 'number') expect(r.value, r.point).toBeCloseTo(t, 6);
    else expect(r.value, r.point).toEqual(t);
  }
}

async function untilGood(d: Driver): Promise<DriverReading[]> {
  for (let i = 0; i < 50; i++) {
    const rs = await d.read();
    if (rs.every((r) => r.quality !== 'bad')) return rs;
    await sleep(100);
  }
  throw new Error('no recovery');
}

describe.skipIf(!socat.ok)('Modbus driver against the simulators', () => {
  let sim: Simulation;
  let pty: PtyPair;
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    pty = await ptyPair();
    const text = `
seed: 7
devices:
  - { id: tcp-1, profile: eastron-sdm630, endpoint: { protocol: modbus-tcp, port: 0 }, unit: 1 }
  - { id: rtutcp-1, profile: eastron-sdm630, endpoint: { protocol: modbus-rtu-tcp, port: 0 }, unit: 2 }
  - { id: rtu-1, profile: eastron-sdm630, endpoint: { protocol: modbus-rtu, device: ${pty.b} }, unit: 3 }
`;
    const { loaded, problems } = parseScenario(text, 'scenario.yaml');
    if (!loaded) throw new Error(JSON.stringify(problems));
    sim = await Simulation.start({ loaded, anyPort: true });
    for (const id of ['tcp-1', 'rtutcp-1']) {
      const info = sim.describe(id)!;
      const scheme = id.startsWith('tcp') ? 'modbus-tcp' : 'modbus-rtutcp';
      urls[id] = `${scheme}://${info.address}`;
    }
    urls['rtu-1'] = `modbus-rtu://${pty.a}?baud=9600`;
  });
  afterAll(async () => {
    await sim?.stop();
    await pty?.close();
  });

  for (const [id, unit] of [
    ['tcp-1', 1],
    ['rtutcp-1', 2],
    ['rtu-1', 3],
  ] as const) {
    it(`${id}: ground truth, faults with their reasons, recovery`, async () => {
      const dev = sim.devices.get(id)!;
      const d = createModbusDriver(
        modbusSpec(urls[id]!, {
          id,
          unitId: unit,
          profile,
          points: profile.points,
          timeoutMs: 250,
          retries: 0,
        }),
        context({ random: () => 0 }),
      );
      try {
        expectTruth(await d.read(), dev);

        dev.faults.add({ id: 'f', kind: 'exception', code: 2 });
        let rs = await d.read();
        expect(
          rs.every((r) => r.quality === 'bad' && r.reason === 'modbus exception 02 (illegal data address)'),
        ).toBe(true);
        dev.faults.clear();
        expectTruth(await untilGood(d), dev);

        dev.faults.add({ id: 'f', kind: 'timeout' });
        rs = await d.read();
        expect(rs.every((r) => r.quality === 'bad' && r.reason === 'timeout')).toBe(true);
        dev.faults.clear();
        await untilGood(d);

        if (id !== 'tcp-1') {
          dev.faults.add({ id: 'f', kind: 'bad-crc' });
          rs = await d.read();
          expect(rs.every((r) => r.quality === 'bad' && r.reason === 'crc')).toBe(true);
          dev.faults.clear();
          await untilGood(d);
        }
        if (id !== 'rtu-1') {
          dev.faults.add({ id: 'f', kind: 'drop' });
          rs = await d.read();
          expect(rs.every((r) => r.quality === 'bad' && r.reason)).toBe(true);
          dev.faults.clear();
          expectTruth(await untilGood(d), dev);
        }
      } finally {
        dev.faults.clear();
        await d.close();
      }
    });
  }
});
