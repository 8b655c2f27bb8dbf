/**
 * Round-trip properties of the codec for every register type × every byte order:
 * raw → words → raw is the identity, words → raw → words is the identity wherever the words
 * are canonical, and out-of-range raws are refused with GZ_CODEC_RANGE instead of wrapping.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BYTE_ORDERS,
  type ByteOrder,
  decodePoint,
  decodeRaw,
  encodePoint,
  encodeRaw,
  type ModbusBinding,
  type ModbusPoint,
  type ModbusType,
  type RawValue,
} from '../src/index.js';

const RUNS = { numRuns: 300 };

const latin1Char = fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c));

/** Raw generators per type; strings exclude NUL and trailing spaces (decode trims them). */
const RAWS: Record<Exclude<ModbusType, 'string' | 'bit'>, fc.Arbitrary<RawValue>> = {
  bool: fc.boolean(),
  int16: fc.integer({ min: -32768, max: 32767 }),
  uint16: fc.integer({ min: 0, max: 65535 }),
  int32: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  uint32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  uint64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  float32: fc.float(),
  float64: fc.double(),
};

const binding = (type: ModbusType, order: ByteOrder, extra: Partial<ModbusBinding> = {}): ModbusBinding => ({
  table: 'holding',
  address: 100,
  type,
  order,
  ...extra,
});

const word = fc.integer({ min: 0, max: 0xffff });

describe.each(BYTE_ORDERS)('order %s', (order) => {
  it.each(Object.keys(RAWS) as (keyof typeof RAWS)[])('%s: raw → words → raw', (type) => {
    const b = binding(type, order);
    fc.assert(
      fc.property(RAWS[type], (raw) => {
        const words = encodeRaw(b, raw);
        expect(words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)).toBe(true);
        expect(Object.is(decodeRaw(b, words), raw) || decodeRaw(b, words) === raw).toBe(true);
      }),
      RUNS,
    );
  });

  it.each(['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'] as const)(
    '%s: any words → raw → the same words',
    (type) => {
      const b = binding(type, order);
      const n = type.endsWith('64') ? 4 : type.endsWith('32') ? 2 : 1;
      fc.assert(
        fc.property(fc.array(word, { minLength: n, maxLength: n }), (words) => {
          expect(encodeRaw(b, decodeRaw(b, words))).toEqual(words);
        }),
        RUNS,
      );
    },
  );

  it.each(['float32', 'float64'] as const)('%s: any non-NaN words → raw → the same words', (type) => {
    const b = binding(type, order);
    const n = type === 'float64' ? 4 : 2;
    fc.assert(
      fc.property(fc.array(word, { minLength: n, maxLength: n }), (words) => {
        const raw = decodeRaw(b, words);
        fc.pre(!Number.isNaN(raw));
        expect(encodeRaw(b, raw)).toEqual(words);
      }),
      RUNS,
    );
  });

  it('string: text → words → text for 1..12 registers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.string({ unit: latin1Char, maxLength: 2 * n }).filter((s) => !s.endsWith(' ')),
          ),
        ),
        ([n, text]) => {
          const b = binding('string', order, { length: n });
          const words = encodeRaw(b, text);
          expect(words).toHaveLength(n);
          expect(decodeRaw(b, words)).toBe(text);
        },
      ),
      RUNS,
    );
  });

  it('bit: every bit index round-trips and only touches its own bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.boolean(), (bit, on) => {
        const b = binding('bit', order, { bit });
        const words = encodeRaw(b, on);
        expect(words[0]).toBe(on ? 1 << bit : 0);
        expect(decodeRaw(b, words)).toBe(on);
      }),
      RUNS,
    );
  });
});

describe('coil and discrete tables', () => {
  it.each(['coil', 'discrete'] as const)('%s: one 0/1 per address round-trips', (table) => {
    const b: ModbusBinding = { table, address: 7, type: 'bool' };
    for (const on of [true, false]) expect(decodeRaw(b, encodeRaw(b, on))).toBe(on);
    expect(encodeRaw(b, true)).toEqual([1]);
  });
});

describe('out-of-range raws are refused, never wrapped', () => {
  const cases: [ModbusType, fc.Arbitrary<RawValue>][] = [
    [
      'int16',
      fc.oneof(fc.integer({ min: 32768, max: 2 ** 40 }), fc.integer({ min: -(2 ** 40), max: -32769 })),
    ],
    ['uint16', fc.oneof(fc.integer({ min: 65536, max: 2 ** 40 }), fc.integer({ min: -(2 ** 40), max: -1 }))],
    [
      'int32',
      fc.oneof(
        fc.integer({ min: 2 ** 31, max: 2 ** 50 }),
        fc.integer({ min: -(2 ** 50), max: -(2 ** 31) - 1 }),
      ),
    ],
    [
      'uint32',
      fc.oneof(fc.integer({ min: 2 ** 32, max: 2 ** 50 }), fc.integer({ min: -(2 ** 50), max: -1 })),
    ],
    [
      'int64',
      fc.oneof(
        fc.bigInt({ min: 2n ** 63n, max: 2n ** 70n }),
        fc.bigInt({ min: -(2n ** 70n), max: -(2n ** 63n) - 1n }),
      ),
    ],
    [
      'uint64',
      fc.oneof(fc.bigInt({ min: 2n ** 64n, max: 2n ** 70n }), fc.bigInt({ min: -(2n ** 10n), max: -1n })),
    ],
    ['float32', fc.double({ min: 3.5e38, max: 1e300, noNaN: true })],
  ];
  it.each(cases)('%s', (type, arb) => {
    for (const order of BYTE_ORDERS) {
      fc.assert(
        fc.property(arb, (raw) => {
          expect(() => encodeRaw(binding(type, order), raw)).toThrow(
            expect.objectContaining({ code: 'GZ_CODEC_RANGE' }),
          );
        }),
        { numRuns: 50 },
      );
    }
  });
});

describe('engineering round trip with scale and offset', () => {
  const point = (type: ModbusType, order: ByteOrder, scale: number, offset = 0): ModbusPoint => ({
    name: 'p',
    unit: 'Cel',
    type: 'float',
    scale,
    offset,
    modbus: binding(type, order),
  });

  it('int16 × 0.1 − 40: every representable value comes back exactly', () => {
    for (const order of BYTE_ORDERS) {
      const p = point('int16', order, 0.1, -40);
      fc.assert(
        fc.property(fc.integer({ min: -32768, max: 32767 }), (raw) => {
          const value = raw / 10 - 40;
          const words = encodePoint(p, value);
          expect(decodePoint(p, words)).toBeCloseTo(value, 9);
          expect(encodePoint(p, decodePoint(p, words))).toEqual(words);
        }),
        RUNS,
      );
    }
  });

  it('uint32 × 0.001: rounding picks the nearest raw', () => {
    for (const order of BYTE_ORDERS) {
      const p = point('uint32', order, 0.001);
      fc.assert(
        fc.property(fc.double({ min: 0, max: 4294967.295, noNaN: true }), (value) => {
          const back = decodePoint(p, encodePoint(p, value)) as number;
          expect(Math.abs(back - value)).toBeLessThanOrEqual(0.0005 + 1e-9);
        }),
        RUNS,
      );
    }
  });
});
