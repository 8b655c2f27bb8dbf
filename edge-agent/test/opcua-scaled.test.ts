/**
 * OPC UA points with scale / offset / enum, end to end: the simulator's OPC UA server serves
 * the RAW value a real PLC would (the profile says engineering = raw × scale + offset), the
 * agent's OPC UA driver decodes it with the profile, and what it reports equals the
 * simulator's ground truth exactly — for Int16, UInt16, Float, Double, a scaled integer and
 * enums (fixture profile `opcua-scaled`, and `fault_code` of the builtin pump station).
 */
import { loadProfileFile, ProfileRegistry } from '@ganzhi/device-profiles';
import {
  type OpcuaServerHandle,
  SimDevice,
  simNamespaceUri,
  simNodeId,
  startOpcuaServer,
  systemClock,
} from '@ganzhi/simulators';
import { AttributeIds } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, readProperty, resolveNsu } from '../../simulators/test/opcua-client.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { OpcuaDriver } from '../src/drivers/opcua/opcua-driver.js';
import { context, fixtures, opcuaSpec } from './helpers.js';

const loaded = loadProfileFile(`${fixtures}profiles/opcua-scaled.yaml`);
if (!loaded.profile) throw new Error(JSON.stringify(loaded.problems));
const profile = loaded.profile;
const pump = ProfileRegistry.builtin().get('pump-station-opcua')!;
const pki = tempDir('ganzhi-agent-opcua-scaled-');

/** constant engineering values, chosen off the raw grid so that quantisation shows */
const fixed = new SimDevice({
  id: 'sc-1',
  profile,
  clock: systemClock,
  signals: {
    temperature: { kind: 'constant', value: 23.47 },
    level: { kind: 'constant', value: 3.14321 },
    pressure: { kind: 'constant', value: 2.3456789 },
    flow: { kind: 'constant', value: 12.3456789 },
    strokes: { kind: 'constant', value: 1234 },
    state: { kind: 'constant', value: 'tripped' },
  },
});
/** moving values: every tick serves new raws, each compared with its own ground truth */
const moving = new SimDevice({
  id: 'sc-2',
  profile,
  clock: systemClock,
  signals: {
    temperature: { kind: 'sine', min: -39.96, max: 119.97, periodMs: 1300 },
    level: { kind: 'sine', min: 0.001, max: 9.999, periodMs: 1700 },
    pressure: { kind: 'sine', min: 0.123, max: 7.891, periodMs: 1100 },
    flow: { kind: 'sine', min: -3.33, max: 333.33, periodMs: 900 },
    strokes: { kind: 'ramp', from: 0, to: 100_000, periodMs: 2000 },
    state: { kind: 'square', low: 0, high: 2, periodMs: 600 },
  },
});
// a tripped station: fault code 1 (the simulator's default is the healthy code 0, "none")
const station = new SimDevice({
  id: 'ps-1',
  profile: pump,
  clock: systemClock,
  signals: { fault_code: { kind: 'constant', value: 1 } },
});

let server: OpcuaServerHandle;
beforeAll(async () => {
  server = await startOpcuaServer({
    port: 0,
    devices: [fixed, moving, station],
    pkiDir: `${pki}/server`,
    tickMs: 100,
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const driverFor = (device: SimDevice) =>
  new OpcuaDriver(
    opcuaSpec(
      server.endpointUrl,
      {
        mode: 'poll',
        pkiDir: `${pki}/client`,
        namespaceUri: simNamespaceUri(device, device.profile.opcua?.namespaceUri ?? ''),
      },
      {
        id: device.id,
        profile: device.profile,
        points: device.profile.points,
        pollIntervalMs: 100,
        timeoutMs: 2000,
      },
    ),
    context(),
  );

/** Polls until every point has `n` good readings (or fails naming what is missing). */
async function readAll(d: OpcuaDriver, points: readonly string[], n: number): Promise<DriverReading[]> {
  const seen: DriverReading[] = [];
  const count = (p: string) => seen.filter((r) => r.point === p && r.quality === 'good').length;
  await d.connect();
  await waitFor(
    `${n} good readings of ${points.join(', ')}`,
    async () => {
      seen.push(...(await d.read()));
      return points.every((p) => count(p) >= n) || undefined;
    },
    20_000,
    100,
  );
  return seen.filter((r) => r.quality === 'good');
}

describe('OPC UA scale/offset/enum: the agent reads what the simulator says it served', () => {
  it('decodes each served raw to exactly the ground truth (constant values)', async () => {
    const d = driverFor(fixed);
    try {
      const names = profile.points.map((p) => p.name);
      const rs = await readAll(d, names, 1);
      const truth = fixed.truth();
      const got = Object.fromEntries(names.map((n) => [n, rs.find((r) => r.point === n)?.value]));
      // what a correct reader decodes from the raw a PLC would serve
      expect(got).toEqual({
        temperature: 23.5, // Int16 635 × 0.1 − 40
        level: 3.14, // UInt16 314 × 0.01
        pressure: Math.fround(1345.6789) / 1000 + 1, // Float 1345.6789… × 0.001 + 1
        flow: expect.closeTo(12.3456789, 12), // Double 122.956789 (not rounded) × 0.1 + 0.05
        strokes: 1230, // Int32 123 × 10
        state: 'tripped', // UInt16 2
      });
      for (const n of names) {
        expect(got[n], n).toBe(truth[n]?.value);
        expect(got[n], n).toBe(truth[n]?.last?.value);
      }
    } finally {
      await d.close();
    }
  });

  it('every reading of moving values equals the value served at its source timestamp', async () => {
    const d = driverFor(moving);
    try {
      const names = profile.points.map((p) => p.name);
      const rs = await readAll(d, names, 5);
      for (const r of rs) expect(r.value, `${r.point} at ${r.ts}`).toBe(moving.valueAt(r.point, r.ts));
      // the readings really moved (not one value held)
      for (const n of ['temperature', 'pressure', 'flow']) {
        expect(new Set(rs.filter((r) => r.point === n).map((r) => r.value)).size, n).toBeGreaterThan(1);
      }
    } finally {
      await d.close();
    }
  });

  it('the builtin pump station fault_code (UInt16 enum) reads as its label, equal to the truth', async () => {
    const d = driverFor(station);
    try {
      const rs = await readAll(d, ['fault_code'], 1);
      const r = rs.find((x) => x.point === 'fault_code')!;
      expect(r.value).toBe('overcurrent'); // the station's signal holds code 1
      expect(r.value).toBe(station.truth().fault_code?.last?.value);
    } finally {
      await d.close();
    }
  });

  it('on the wire the variables hold raw values, and EURange is in raw units', async () => {
    const c = await connectClient(server.endpointUrl, `${pki}/raw-client`);
    try {
      const temperature = await resolveNsu(c.session, simNodeId(fixed, 'temperature'));
      const level = await resolveNsu(c.session, simNodeId(fixed, 'level'));
      const state = await resolveNsu(c.session, simNodeId(fixed, 'state'));
      const values = await c.session.read(
        [temperature, level, state].map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })),
      );
      expect(values.map((dv) => dv.value.value)).toEqual([635, 314, 2]);
      // range -40..120 Cel at 0.1 Cel from -40: 0..1600; 0..10 m in cm: 0..1000
      expect(await readProperty(c.session, temperature, 'EURange')).toMatchObject({ low: 0, high: 1600 });
      expect(await readProperty(c.session, level, 'EURange')).toMatchObject({ low: 0, high: 1000 });
    } finally {
      await c.close();
    }
  });
});
