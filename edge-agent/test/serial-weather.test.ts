/**
 * End to end, the weather station's checksum: the simulator serves the builtin weather-ascii
 * profile (MetSENS500, <STX>…<ETX>HH lines with the XOR checksum) over raw TCP and over a socat
 * pty pair; the agent's serial driver reads it. Good lines give good readings equal to what the
 * simulator served; under the simulator's `bad-checksum` fault every point turns bad with the
 * reason `checksum` (with `checksum: none` they read as good), and it recovers when cleared.
 */
import { type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { SimDevice, startSerialPortDevice, startSerialTcpDevice, systemClock } from '@ganzhi/simulators';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test-support/process.js';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import type { Driver, DriverReading } from '../src/drivers/driver.js';
import { createSerialDriver, type SerialDriver } from '../src/drivers/serial/index.js';
import { context, serialSpec } from './helpers.js';

const INTERVAL = 30;

function weatherProfile(): Profile {
  const p = ProfileRegistry.builtin().get('weather-ascii');
  if (!p) throw new Error('builtin profile weather-ascii missing');
  // the simulated station talks every 30 ms here, so staleness (3 × max(poll, interval)) is short
  return { ...p, serial: { ...p.serial!, intervalMs: INTERVAL } };
}

/** The manual's example values, constant, so every line carries the same numbers. */
const MANUAL: Record<string, number> = {
  wind_direction: 21,
  wind_speed: 0.01,
  wind_direction_corrected: 90,
  pressure: 1015.3,
  humidity: 41,
  temperature: 22,
  dewpoint: 8.5,
  supply_voltage: 5.1,
  status: 4,
};

function station(): SimDevice {
  const signals = Object.fromEntries(
    Object.entries(MANUAL).map(([k, value]) => [k, { kind: 'constant' as const, value }]),
  );
  return new SimDevice({ id: 'wx', profile: weatherProfile(), clock: systemClock, signals });
}

const byPoint = (rs: DriverReading[]) => Object.fromEntries(rs.map((r) => [r.point, r]));

async function readUntil(
  d: Driver,
  ok: (rs: DriverReading[]) => boolean,
  what: string,
): Promise<DriverReading[]> {
  return waitFor(
    what,
    async () => {
      const rs = await d.read();
      return ok(rs) ? rs : undefined;
    },
    5000,
    INTERVAL,
  );
}

const allGood = (rs: DriverReading[]) => Object.keys(MANUAL).every((p) => byPoint(rs)[p]?.quality === 'good');
const allBad = (rs: DriverReading[]) => Object.keys(MANUAL).every((p) => byPoint(rs)[p]?.quality === 'bad');

/** good readings equal to the served values, then bad `checksum` under the fault, then recovery */
async function goodBadGood(sim: SimDevice, d: Driver, profile: Profile): Promise<void> {
  await d.connect();
  const good = byPoint(await readUntil(d, allGood, 'all nine points good'));
  const truth = sim.truth();
  for (const [point, want] of Object.entries(MANUAL)) {
    expect(good[point]?.value, point).toBeCloseTo(want, 9);
    expect(truth[point]?.last?.value, point).toBeCloseTo(want, 9);
  }
  sim.faults.add({ id: 'bad-ck', kind: 'bad-checksum' }, sim.now());
  const bad = await readUntil(d, allBad, 'all nine points bad');
  for (const point of Object.keys(MANUAL)) {
    expect(byPoint(bad)[point], point).toMatchObject({ quality: 'bad', reason: 'checksum', value: null });
  }
  expect(d.status().lastError).toBe('checksum');
  expect((d as SerialDriver).frames.checksumFailed).toBeGreaterThan(0);
  // the simulator counts no served sample while the fault corrupts the lines
  const served = sim.truth().pressure?.served;
  sim.faults.clear();
  await readUntil(d, allGood, 'recovery');
  expect(sim.truth().pressure?.served).toBeGreaterThan(served ?? 0);
  expect(profile.serial?.checksum).toBe('xor-stx-etx');
}

describe('weather station (weather-ascii) → serial driver over raw TCP (serial-tcp://)', () => {
  it('good readings; bad-checksum fault → every point bad "checksum"; recovers', async () => {
    const sim = station();
    const listening = await startSerialTcpDevice({
      device: sim,
      host: '127.0.0.1',
      port: 0,
      intervalMs: INTERVAL,
    });
    const profile = weatherProfile();
    const d = createSerialDriver(
      serialSpec(`serial-tcp://127.0.0.1:${listening.port}`, {
        id: 'wx',
        profile,
        points: profile.points,
        pollIntervalMs: INTERVAL,
      }),
      context(),
    );
    try {
      await goodBadGood(sim, d, profile);
    } finally {
      await d.close();
      await listening.close();
    }
  });

  it('without the checksum check the same corrupted stream reads as good (what the fix closes)', async () => {
    const sim = station();
    sim.faults.add({ id: 'bad-ck', kind: 'bad-checksum' }, sim.now());
    const listening = await startSerialTcpDevice({
      device: sim,
      host: '127.0.0.1',
      port: 0,
      intervalMs: INTERVAL,
    });
    const p = weatherProfile();
    // the profile as it was: checksum none, STX kept in the line, so the prefix holds it
    const unchecked: Profile = { ...p, serial: { ...p.serial!, checksum: 'none', prefix: '\x02Q' } };
    const d = createSerialDriver(
      serialSpec(`serial-tcp://127.0.0.1:${listening.port}`, {
        id: 'wx',
        profile: unchecked,
        points: unchecked.points,
        pollIntervalMs: INTERVAL,
      }),
      context(),
    );
    try {
      await d.connect();
      const rs = byPoint(
        await readUntil(d, (x) => byPoint(x).wind_direction?.quality === 'good', 'a reading'),
      );
      expect(rs.pressure).toMatchObject({ quality: 'good', value: 1015.3 });
    } finally {
      await d.close();
      await listening.close();
    }
  });
});

const socat = socatPeer();
describe.skipIf(!socat.ok)(
  'weather station (weather-ascii) → serial driver on a socat pty pair (serial://)',
  () => {
    let pty: PtyPair | undefined;
    afterAll(async () => {
      await pty?.close();
    });

    it('good readings; bad-checksum fault → every point bad "checksum"; recovers', async () => {
      pty = await ptyPair();
      const sim = station();
      const dev = await startSerialPortDevice({ device: sim, path: pty.a, intervalMs: INTERVAL });
      const profile = weatherProfile();
      const d = createSerialDriver(
        serialSpec(`serial://${pty.b}?baud=9600`, {
          id: 'wx',
          profile,
          points: profile.points,
          pollIntervalMs: INTERVAL,
        }),
        context(),
      );
      try {
        await goodBadGood(sim, d, profile);
      } finally {
        await d.close();
        await dev.close();
      }
    });
  },
);
