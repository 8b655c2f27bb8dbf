import { type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { ManualClock } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { SimDevice } from '../device/sim-device.js';

const T0 = Date.UTC(2026, 2, 1);
const pump = ProfileRegistry.builtin().get('pump-station-opcua') as Profile;
const meter = ProfileRegistry.builtin().get('eastron-sdm630') as Profile;
const s = (x: number) => T0 + x * 1000;

const station = (clock: ManualClock) =>
  new SimDevice({
    id: 'ps',
    profile: pump,
    clock,
    seed: 11,
    origin: T0,
    signals: { speed_setpoint: { kind: 'constant', value: 1480 } },
  });

const all = (d: SimDevice, t: number) =>
  Object.fromEntries(pump.points.map((p) => [p.name, d.valueAt(p.name, t)]));

describe('device model engine', () => {
  it('values are a pure function of the history: a device that read ahead and was then written equals a fresh one given the same history', () => {
    const ca = new ManualClock(T0);
    const a = station(ca);
    ca.set(s(50));
    a.valueAt('operating_hours', s(50)); // caches advanced to 50 s
    a.valueAt('speed', s(50));
    a.setSignal('speed_setpoint', { kind: 'constant', value: 1000 }); // written at 50 s
    ca.set(s(80));
    const cb = new ManualClock(T0);
    const b = station(cb);
    b.setSignal('speed_setpoint', { kind: 'constant', value: 1000 }, s(50)); // same history, never read
    for (const t of [s(10), s(50), s(53), s(80), s(4000)])
      expect(all(a, t), `at ${t - T0} ms`).toEqual(all(b, t));
    // the write changed the future only: before it the pump ran at 1480; each step moves the
    // speed towards the set point in force at the step's end (150 /min per 1 s step)
    expect(a.valueAt('speed', s(49.9))).toBe(1480);
    expect(a.valueAt('speed', s(50))).toBe(1480 - 150);
    expect(a.valueAt('speed', s(52))).toBe(1480 - 3 * 150);
    expect(a.valueAt('speed', s(80))).toBe(1000);
  });

  it('a removed fault keeps its past: the trip still happened, the pump restarts after', () => {
    const clock = new ManualClock(T0);
    const d = station(clock);
    d.faults.add({ id: 'trip', kind: 'stuck', value: 1, points: ['fault_code'], after: 10_000 });
    clock.set(s(30));
    expect(d.truth().speed!.value).toBe(0);
    const during = d.valueAt('speed', s(15));
    expect(during).toBe(1480 - 6 * 150); // tripped at 10 s: steps ending at 10, 11, …, 15 s
    expect(d.faults.remove('trip')).toBe(true);
    // history kept: the speed during the trip is what it was
    expect(d.valueAt('speed', s(15))).toBe(during);
    expect(d.valueAt('speed', s(29))).toBe(0);
    // and from the removal on (30 s) the drive ramps up again
    expect(d.valueAt('speed', s(32))).toBe(450); // removed at 30 s: steps ending at 30, 31, 32 s
    expect(d.valueAt('fault', s(32))).toBe(false);
  });

  it('the clock going back gives the same values as going forward', () => {
    const clock = new ManualClock(T0);
    const d = new SimDevice({ id: 'em', profile: meter, clock, seed: 5, origin: T0 });
    const at = [s(5), s(120), s(60), s(3), s(600), s(59)];
    const first = at.map((t) => d.valueAt('energy_import', t));
    const fresh = new SimDevice({ id: 'em', profile: meter, clock, seed: 5, origin: T0 });
    expect([...at].reverse().map((t) => fresh.valueAt('energy_import', t))).toEqual([...first].reverse());
    // energy only rises while power is imported
    const sorted = [...at].sort((x, y) => x - y).map((t) => d.valueAt('energy_import', t) as number);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!).toBeGreaterThanOrEqual(sorted[i - 1]!);
  });

  it('a relation that cannot be computed is served as bad, the others still are', () => {
    const clock = new ManualClock(T0);
    const d = new SimDevice({
      id: 'em',
      profile: meter,
      clock,
      origin: T0,
      relations: {
        derived: { power_factor_total: 'power_total / (apparent_power_total - apparent_power_total)' },
      },
    });
    const pf = d.sample('power_factor_total', s(1));
    const v = d.sample('voltage_avg', s(1));
    expect(pf?.status).toBe('bad');
    expect(pf?.value).toBeNull();
    expect(v?.status).toBe('good');
  });

  it('a relation a device instance gets that the profile cannot compile is refused at construction', () => {
    const clock = new ManualClock(T0);
    expect(
      () =>
        new SimDevice({
          id: 'em',
          profile: meter,
          clock,
          relations: { derived: { voltage_avg: 'avg(volts)' } },
        }),
    ).toThrow(/GZ_SIM_MODEL|unknown name "volts"/);
  });
});
