import type { OpcuaPoint } from '@ganzhi/device-profiles';
import { describe, expect, it } from 'vitest';
import { coerceValue, servedRange, servedValue } from './data-types.js';

const point = (over: Partial<OpcuaPoint> = {}): OpcuaPoint => ({
  name: 'p',
  unit: 'Cel',
  type: 'float',
  opcua: { nodeId: 'ns=2;s=P' },
  ...over,
});

describe('value coercion', () => {
  it('rounds and clamps integers, converts booleans, refuses nonsense', () => {
    expect(coerceValue('Int16', 40000.4)).toBe(32767);
    expect(coerceValue('Byte', -3)).toBe(0);
    expect(coerceValue('Int32', 12.6)).toBe(13);
    expect(coerceValue('Int32', -2.5)).toBe(-3); // half away from zero, as the codec's toRaw
    expect(coerceValue('Int16', -0.3)).toBe(0); // not -0: the wire has no sign of zero
    expect(coerceValue('Float', 0.1)).toBe(Math.fround(0.1)); // what the wire carries
    expect(coerceValue('Boolean', 0)).toBe(false);
    expect(coerceValue('Boolean', 'true')).toBe(true);
    expect(coerceValue('Double', 'abc')).toBeUndefined();
    expect(coerceValue('Double', '2.5')).toBe(2.5);
    expect(coerceValue('String', 3)).toBe('3');
    expect(coerceValue('Double', null)).toBeNull();
  });
});

describe('served raw values (engineering → raw, as the profile describes the server)', () => {
  it('inverts offset and scale, then fits the data type', () => {
    const p = point({ scale: 0.1, offset: -40 });
    expect(servedValue(p, 'Int16', 23.5)).toBe(635);
    expect(servedValue(p, 'UInt16', -50)).toBe(0);
    expect(servedValue(p, 'Double', 23.5)).toBe(635);
    expect(servedValue(p, 'Float', 23.47)).toBe(Math.fround(634.7));
    expect(servedValue(p, 'Double', null)).toBeNull();
    expect(servedValue(p, 'Double', 'abc')).toBeUndefined();
  });

  it('serves enum labels as their keys, integer text as its number, nothing else', () => {
    const p = point({ type: 'string', unit: '1', enum: { '0': 'off', '3': 'tripped' }, scale: 10 });
    expect(servedValue(p, 'UInt16', 'tripped')).toBe(3); // enum points ignore scale
    expect(servedValue(p, 'UInt16', '7')).toBe(7);
    expect(servedValue(p, 'UInt16', 5)).toBe(5);
    expect(servedValue(p, 'UInt16', 'melted')).toBeUndefined();
  });

  it('unscaled points are served as coerceValue serves them', () => {
    expect(servedValue(point(), 'Int16', 40000.4)).toBe(32767);
    expect(servedValue(point(), 'Double', 50.25)).toBe(50.25);
    expect(servedValue(point({ type: 'boolean', unit: '1' }), 'Boolean', true)).toBe(true);
  });

  it('EURange is the range in raw units, ordered also for a negative scale', () => {
    expect(servedRange(point({ range: { min: -40, max: 120 }, scale: 0.1, offset: -40 }))).toEqual({
      low: 0,
      high: 1600,
    });
    expect(servedRange(point({ range: { min: 0, max: 50 }, scale: -0.5 }))).toEqual({ low: -100, high: 0 });
    expect(servedRange(point({ range: { min: 0, max: 500 } }))).toEqual({ low: 0, high: 500 });
    expect(servedRange(point())).toBeUndefined();
  });
});
