import type { OpcuaPoint } from '@ganzhi/device-profiles';
import { describe, expect, it } from 'vitest';
import type { DriverReading } from '../driver.js';
import { DeadbandGate, rawDeadband } from './monitored-point.js';

const point = (over: Partial<OpcuaPoint>): OpcuaPoint => ({
  name: 'flow',
  unit: 'm3/h',
  type: 'float',
  opcua: { nodeId: 'ns=2;s=Flow' },
  ...over,
});

const r = (value: DriverReading['value'], quality: DriverReading['quality'] = 'good'): DriverReading => ({
  device: 'd',
  point: 'flow',
  unit: 'm3/h',
  ts: 0,
  value,
  quality,
});

describe('rawDeadband', () => {
  it('converts the engineering deadband to the raw value the server compares', () => {
    expect(rawDeadband(point({ deadband: 5 }))).toBe(5);
    expect(rawDeadband(point({ deadband: 5, scale: 0.1 }))).toBeCloseTo(50);
    expect(rawDeadband(point({ deadband: 2, scale: -4, offset: 100 }))).toBe(0.5);
    expect(rawDeadband(point({ deadband: 0 }))).toBeUndefined();
    expect(rawDeadband(point({}))).toBeUndefined();
  });
});

describe('DeadbandGate (client-side deadband when the server cannot filter)', () => {
  it('passes changes beyond the deadband from the last PASSED value, and every quality change', () => {
    const g = new DeadbandGate(5);
    const passed = [50, 52, 55, 56, 57, 40, 43, 44.5].filter((v) => g.pass(r(v)));
    expect(passed).toEqual([50, 56, 40]);
    expect(g.pass(r(null, 'bad'))).toBe(true);
    expect(g.pass(r(41))).toBe(true);
    expect(g.pass(r(41, 'uncertain'))).toBe(true);
    expect(g.pass(r(true))).toBe(true);
    expect(g.pass(r(true))).toBe(true);
  });
});
