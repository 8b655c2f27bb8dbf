import type { Point } from '@ganzhi/device-profiles';
import { describe, expect, it } from 'vitest';
import { defaultSignal, isTotal } from './defaults.js';

const p = (over: Partial<Point> & { unit: string; name: string }): Point =>
  ({ type: 'float', modbus: { table: 'input', address: 0, type: 'float32' }, ...over }) as Point;

describe('default signals', () => {
  it('totals are told by their unit, not their name', () => {
    expect(isTotal(p({ name: 'energy_import', unit: 'kW.h' }))).toBe(true);
    expect(isTotal(p({ name: 'run_hours', unit: 'h' }))).toBe(true);
    expect(isTotal(p({ name: 'power_total', unit: 'W' }))).toBe(false);
    expect(defaultSignal(p({ name: 'power_total', unit: 'W' }), 1).kind).toBe('sine');
    expect(defaultSignal(p({ name: 'energy_import', unit: 'kW.h' }), 1).kind).toBe('counter');
  });

  it('a unit range inside the point range wins; else the middle half of the range', () => {
    const v = defaultSignal(p({ name: 'voltage', unit: 'V', range: { min: 0, max: 500 } }), 1);
    expect(v).toMatchObject({ kind: 'sine', min: 225, max: 235 });
    const x = defaultSignal(p({ name: 'x', unit: 'mg/L', range: { min: 0, max: 20 } }), 1);
    expect(x).toMatchObject({ kind: 'sine', min: 5, max: 15 });
  });

  it('a 16-bit register with scale never gets a default past what it can hold', () => {
    const s = defaultSignal(
      p({
        name: 'x',
        unit: 'W',
        scale: 0.01,
        modbus: { table: 'input', address: 0, type: 'int16' },
      } as never),
      1,
    );
    expect(s).toMatchObject({ kind: 'sine' });
    expect((s as { max: number }).max).toBeLessThanOrEqual(327.67);
  });
});
