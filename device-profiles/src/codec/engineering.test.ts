import { describe, expect, it } from 'vitest';
import type { ModbusBinding, ModbusPoint, Point } from '../profile-schema.js';
import { encodeRaw, setBit } from './encode.js';
import { decodePoint, encodePoint, toEngineering, toRaw } from './engineering.js';
import type { CodecError } from './errors.js';

const mp = (modbus: Partial<ModbusBinding>, extra: Partial<ModbusPoint> = {}): ModbusPoint => ({
  name: 'p',
  unit: '1',
  type: 'float',
  ...extra,
  modbus: { table: 'holding', address: 0, type: 'uint16', ...modbus },
});

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as CodecError).code;
  }
  return undefined;
};

describe('toEngineering', () => {
  it('applies scale and offset, dividing by exact reciprocals (no 230.10000000000002)', () => {
    expect(toEngineering(mp({}, { scale: 0.1 }), 2301)).toBe(230.1);
    // Vaisala HMP110 integer test register: -123.45 × 100 stored as -12345
    expect(toEngineering(mp({ type: 'int16' }, { scale: 0.01 }), -12345)).toBe(-123.45);
    expect(toEngineering(mp({}, { scale: 0.1, offset: -40 }), 625)).toBe(22.5);
    expect(toEngineering(mp({}, { scale: 2.5 }), 4)).toBe(10);
  });

  it('maps enum raws to labels, also from float and boolean raws, and shows unknown codes', () => {
    // Eastron SDM630 holding 40011 "System Type": float 3 = 3p4w
    const sys = mp({ type: 'float32' }, { type: 'string', enum: { '1': '1p2w', '2': '3p3w', '3': '3p4w' } });
    expect(decodePoint(sys, [0x4040, 0x0000])).toBe('3p4w');
    expect(toEngineering(sys, 7)).toBe('7');
    expect(toEngineering(mp({ type: 'bit', bit: 0 }, { enum: { '0': 'off', '1': 'on' } }), true)).toBe('on');
  });

  it('rounds integer points half away from zero and converts by point type', () => {
    expect(toEngineering(mp({}, { type: 'integer', scale: 0.5 }), 5)).toBe(3);
    expect(toEngineering(mp({ type: 'int16' }, { type: 'integer', scale: 0.5 }), -5)).toBe(-3);
    expect(toEngineering(mp({}, { type: 'boolean' }), 2)).toBe(true);
    expect(toEngineering(mp({}, { type: 'boolean' }), 0)).toBe(false);
    expect(toEngineering(mp({ type: 'bool' }, { type: 'integer' }), true)).toBe(1);
    expect(toEngineering(mp({}, { type: 'string', scale: 0.1 }), 15)).toBe('1.5');
  });

  it('turns 64-bit raws into numbers, exactly up to 2^53 and rounded beyond', () => {
    const e = mp({ type: 'uint64' }, { type: 'integer' });
    expect(toEngineering(e, 9007199254740993n)).toBe(9007199254740992);
    expect(toEngineering(e, 1234567890123n)).toBe(1234567890123);
    expect(toEngineering(mp({ type: 'int64' }, { scale: 0.001 }), -1234567n)).toBe(-1234.567);
  });

  it('passes NaN and Infinity through for the caller to mark the quality', () => {
    expect(decodePoint(mp({ type: 'float32' }), [0x7fc0, 0])).toBeNaN();
    expect(decodePoint(mp({ type: 'float32' }, { scale: 10 }), [0xff80, 0])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('handles points of other protocols by their engineering type', () => {
    const opc: Point = { name: 'q', unit: 'm3/h', type: 'float', scale: 0.1, opcua: { nodeId: 'ns=1;i=5' } };
    expect(toEngineering(opc, 15)).toBe(1.5);
    expect(toRaw(opc, 1.5)).toBe(15);
  });
});

describe('toRaw / encodePoint', () => {
  it('inverts scale and offset with rounding for integer encodings', () => {
    const p = mp({ type: 'int16' }, { scale: 0.1, offset: -40 });
    expect(toRaw(p, 22.5)).toBe(625);
    expect(toRaw(p, 22.54)).toBe(625);
    expect(toRaw(p, 22.55)).toBe(626);
    expect(toRaw(mp({ type: 'int16' }), -2.5)).toBe(-3);
    expect(toRaw(mp({ type: 'float32' }, { scale: 0.5 }), 1.25)).toBe(2.5);
    expect(toRaw(mp({ type: 'int64' }, { type: 'integer' }), 5)).toBe(5n);
  });

  it('refuses values outside the encoding instead of wrapping', () => {
    expect(code(() => encodePoint(mp({ type: 'uint16' }), 65536))).toBe('GZ_CODEC_RANGE');
    expect(code(() => encodePoint(mp({ type: 'uint16' }), -1))).toBe('GZ_CODEC_RANGE');
    expect(code(() => encodePoint(mp({ type: 'int16' }, { scale: 0.1 }), 3276.8))).toBe('GZ_CODEC_RANGE');
    expect(encodePoint(mp({ type: 'int16' }, { scale: 0.1 }), 3276.7)).toEqual([0x7fff]);
    expect(code(() => encodePoint(mp({ type: 'int32' }), Number.POSITIVE_INFINITY))).toBe('GZ_CODEC_RANGE');
    expect(code(() => encodePoint(mp({ type: 'float32' }), 1e39))).toBe('GZ_CODEC_RANGE');
    expect(code(() => encodePoint(mp({ type: 'string', length: 2 }, { type: 'string' }), 'ABCDE'))).toBe(
      'GZ_CODEC_RANGE',
    );
    expect(code(() => encodePoint(mp({ type: 'string', length: 2 }, { type: 'string' }), '温度'))).toBe(
      'GZ_CODEC_RANGE',
    );
  });

  it('refuses values of the wrong kind', () => {
    expect(code(() => encodePoint(mp({}), null))).toBe('GZ_CODEC_TYPE');
    expect(code(() => encodePoint(mp({}), 'warm'))).toBe('GZ_CODEC_TYPE');
    expect(code(() => encodeRaw({ table: 'holding', address: 0, type: 'int16' }, 1.5))).toBe('GZ_CODEC_TYPE');
    expect(code(() => encodeRaw({ table: 'holding', address: 0, type: 'float32' }, 'x'))).toBe(
      'GZ_CODEC_TYPE',
    );
    expect(code(() => encodeRaw({ table: 'coil', address: 0, type: 'bool' }, 2))).toBe('GZ_CODEC_RANGE');
    expect(code(() => encodeRaw({ table: 'holding', address: 0, type: 'bit' }, true))).toBe(
      'GZ_CODEC_BINDING',
    );
  });

  it('maps enum labels back to raw codes and names the allowed labels otherwise', () => {
    const p = mp({}, { type: 'string', enum: { '0': 'off', '1': 'on', '2': 'dimmed' } });
    expect(encodePoint(p, 'dimmed')).toEqual([2]);
    expect(encodePoint(p, '1')).toEqual([1]);
    let err: CodecError | undefined;
    try {
      encodePoint(p, 'bright');
    } catch (e) {
      err = e as CodecError;
    }
    expect(err?.code).toBe('GZ_CODEC_ENUM');
    expect(err?.message).toContain('off, on, dimmed');
  });

  it('errors name the point', () => {
    try {
      encodePoint({ ...mp({}), name: 'pump_speed' }, 70000);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/^point pump_speed: /);
    }
  });
});

describe('setBit', () => {
  it('sets and clears one bit of a shared register', () => {
    let w = 0;
    w = setBit(w, 15, true);
    w = setBit(w, 0, true);
    expect(w).toBe(0x8001);
    expect(setBit(w, 15, false)).toBe(0x0001);
    expect(setBit(0xffff, 3, true)).toBe(0xffff);
    expect(code(() => setBit(0, 16, true))).toBe('GZ_CODEC_BINDING');
  });
});
