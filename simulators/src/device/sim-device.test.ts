import type { ModbusPoint } from '@ganzhi/device-profiles';
import { ManualClock } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { meterProfile, opcuaProfile } from '../../test/fixtures/profiles.js';
import { decodePoint } from './codec.js';
import { SimDevice } from './sim-device.js';

const T0 = Date.UTC(2026, 0, 1);

function meter(clock = new ManualClock(T0), seed = 7) {
  return new SimDevice({ id: 'm1', profile: meterProfile, clock, seed, unitId: 1 });
}

const pt = (name: string) => meterProfile.points.find((p) => p.name === name) as ModbusPoint;

describe('SimDevice', () => {
  it('serves registers that decode to the ground truth and counts whole-point reads', () => {
    const clock = new ManualClock(T0);
    const d = meter(clock);
    clock.advance(12_345);
    const words = d.readRegisters('input', 0, 14);
    expect(Array.isArray(words)).toBe(true);
    const w = words as number[];
    const truth = d.truth();
    for (const [name, off, n] of [
      ['voltage', 0, 2],
      ['current', 2, 1],
      ['power', 4, 2],
      ['energy_total', 10, 2],
    ] as const) {
      expect(decodePoint(pt(name), w.slice(off, off + n))).toBe(truth[name]!.last!.value);
      expect(truth[name]!.served).toBe(1);
      expect(truth[name]!.last!.value).toBe(truth[name]!.value);
    }
    expect(truth.temperature!.served).toBe(0);
    d.readRegisters('input', 3, 2); // half of power: not a served sample of it
    expect(d.truth().power!.served).toBe(1);
    expect(d.truth().current!.served).toBe(1);
  });

  it('is reproducible from (seed, origin, time) and differs with another seed', () => {
    const a = meter(new ManualClock(T0), 3);
    const b = meter(new ManualClock(T0), 3);
    const c = meter(new ManualClock(T0), 4);
    const t = T0 + 77_000;
    expect(a.valueAt('voltage', t)).toBe(b.valueAt('voltage', t));
    expect(a.valueAt('voltage', t)).not.toBe(c.valueAt('voltage', t));
  });

  it('defaults: energy totals only rise, values stay inside plausible ranges', () => {
    const d = meter();
    let prev = d.valueAt('energy_total', T0) as number;
    for (let i = 1; i < 50; i++) {
      const v = d.valueAt('energy_total', T0 + i * 60_000) as number;
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
    expect(prev).toBeGreaterThan(d.valueAt('energy_total', T0) as number);
    const v = d.valueAt('voltage', T0 + 5000) as number;
    expect(v).toBeGreaterThanOrEqual(225);
    expect(v).toBeLessThanOrEqual(235);
  });

  it('unmapped addresses outside the span and forbidden ranges are exception 02; gaps read 0', () => {
    const d = meter();
    expect(d.readRegisters('input', 23, 1)).toBe(2);
    expect(d.readRegisters('input', 19, 2)).toBe(2);
    expect(d.readRegisters('holding', 5, 1)).toBe(2);
    const gap = d.readRegisters('input', 6, 4) as number[];
    expect(gap).toEqual([0, 0, 0, 0]);
    const strict = new SimDevice({
      id: 's',
      profile: meterProfile,
      clock: new ManualClock(T0),
      strictAddresses: true,
    });
    expect(strict.readRegisters('input', 6, 4)).toBe(2);
  });

  it('bits: coils, discrete inputs and a bit inside a holding register', () => {
    const clock = new ManualClock(T0);
    const d = new SimDevice({
      id: 'b',
      profile: meterProfile,
      clock,
      signals: { alarm: { kind: 'constant', value: true }, door: { kind: 'constant', value: 1 } },
    });
    const h = d.readRegisters('holding', 0, 2) as number[];
    expect(h[1]).toBe(8);
    expect(d.readBits('discrete', 5, 1)).toEqual([true]);
    expect(d.readBits('discrete', 4, 1)).toBe(2);
  });

  it('writes to read-write points hold the written value; read-only is exception 02', () => {
    const d = meter();
    expect(d.writeRegisters(0, [215])).toBeUndefined();
    expect(d.truth().setpoint!.value).toBeCloseTo(21.5);
    expect(d.writeRegisters(1, [1])).toBe(2);
    expect(d.writeBits(0, [true])).toBeUndefined();
    expect(d.readBits('coil', 0, 1)).toEqual([true]);
  });

  it('value faults: stuck holds, spike jumps, status and clock skew reach samples', () => {
    const clock = new ManualClock(T0);
    const d = new SimDevice({
      id: 'p',
      profile: opcuaProfile,
      clock,
      signals: { flow: { kind: 'ramp', from: 0, to: 100, periodMs: 100_000 } },
      faults: [
        { kind: 'stuck', points: ['flow'], after: 10_000, for: 10_000 },
        { kind: 'status', status: 'uncertain', after: 30_000, for: 1000 },
        { kind: 'clock-skew', ms: -5000, after: 40_000 },
      ],
    });
    const at = (ms: number) => d.sample('flow', T0 + ms)!;
    expect(at(5000).value).toBe(5);
    expect(at(15_000).value).toBe(10);
    expect(at(19_999).value).toBe(10);
    expect(at(25_000).value).toBe(25);
    expect(at(30_500).status).toBe('uncertain');
    expect(at(31_000).status).toBe('good');
    expect(at(45_000).sourceTs).toBe(T0 + 40_000);
    d.faults.add({ kind: 'spike', magnitude: 1000 }, T0);
    expect(at(50_000).value).toBe(1050);
    expect(d.truth(T0 + 50_000).flow!.served).toBe(8);
    expect(d.sample('nope', T0)).toBeUndefined();
  });

  it('a signal set at run time starts then, not at the scenario start', () => {
    const clock = new ManualClock(T0);
    const d = meter(clock);
    clock.advance(3_600_000);
    d.setSignal('energy_total', { kind: 'counter', start: 500, ratePerSecond: 1 });
    expect(d.valueAt('energy_total', clock.now())).toBe(500);
    expect(d.valueAt('energy_total', clock.now() + 10_000)).toBe(510);
  });
});
