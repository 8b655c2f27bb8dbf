import { ContractError, type Reading } from '@ganzhi/device-profiles';
import { describe, expect, it } from 'vitest';
import { buildRecords, DEFAULT_BATCH_LIMITS, encodeRecords } from './batcher.js';

const id = { district: 'd1', gateway: 'gw-1', stream: 's-0001' };
const dev = { device: 'm-001', model: 'bench-float', measurement: 'bench' };
const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

const r = (over: Partial<Reading> & Record<string, unknown> = {}): Reading => ({
  device: 'm-001',
  point: 'f0',
  value: 1.5,
  unit: 'V',
  ts: T0,
  quality: 'good',
  ...over,
});

/** what the full path (wire objects, the contract's check of every reading, JSON.stringify) gives or throws */
function reference(readings: Reading[], limits = DEFAULT_BATCH_LIMITS): Buffer[] | Error {
  try {
    return buildRecords(id, dev, readings, 7, T0 + 5, limits).records;
  } catch (err) {
    return err as Error;
  }
}

function encoded(readings: Reading[], limits = DEFAULT_BATCH_LIMITS): Buffer[] | Error {
  try {
    return encodeRecords(id, dev, readings, 7, T0 + 5, limits);
  } catch (err) {
    return err as Error;
  }
}

describe('encodeRecords (the one-pass encoder) against the full path', () => {
  const cases: [string, Reading[]][] = [
    [
      'floats, ints, negative zero, exponents',
      [
        r(),
        r({ point: 'f1', value: -0 }),
        r({ point: 'f2', value: 1e300 }),
        r({ point: 'f3', value: 42 }),
        r({ point: 'f4', value: -3.25e-7 }),
      ],
    ],
    [
      'booleans and strings that need escapes',
      [
        r({ value: true }),
        r({ point: 'b', value: false }),
        r({ point: 's', value: 'a "quoted" \\ line\nnext \u0001 ü 漢 😀' }),
      ],
    ],
    [
      'bad with reason, uncertain, null value',
      [
        r({ value: null, quality: 'bad', reason: 'timeout' }),
        r({ point: 'u', quality: 'uncertain', reason: 'stale "x"' }),
        r({ point: 'g', quality: 'good', reason: 'dropped when good' }),
      ],
    ],
    [
      'a reason longer than the limit is cut to 256',
      [r({ value: null, quality: 'bad', reason: 'x'.repeat(400) })],
    ],
    [
      'NaN and Infinity become null/bad with the reason',
      [
        r({ value: Number.NaN }),
        r({ point: 'i', value: Number.POSITIVE_INFINITY, quality: 'uncertain', reason: 'old' }),
      ],
    ],
    ['a string value at the limit', [r({ value: 'v'.repeat(1024) })]],
    [
      'a reading with extra fields (unit, raw, device) sends only the wire fields',
      [r({ raw: [1, 2] } as Partial<Reading>)],
    ],
    // refused by the contract: the same error as the full path
    ['a string value over the limit', [r({ value: 'v'.repeat(1025) })]],
    ['null with quality good', [r({ value: null })]],
    ['a point name outside the contract', [r({ point: 'Bad-Name' })]],
    ['a point name that is not a string', [r({ point: 5 as unknown as string })]],
    ['a timestamp before 2000', [r({ ts: 1000 })]],
    ['a fractional timestamp', [r({ ts: T0 + 0.5 })]],
    ['an unknown quality', [r({ quality: 'meh' as Reading['quality'] })]],
    ['an object as value', [r({ value: { a: 1 } as unknown as number })]],
  ];
  for (const [name, readings] of cases) {
    it(name, () => {
      const want = reference(readings);
      const got = encoded(readings);
      if (want instanceof Error) {
        expect(got).toBeInstanceOf(Error);
        expect((got as Error).message).toBe(want.message);
        expect(got instanceof ContractError).toBe(want instanceof ContractError);
      } else {
        expect(got).not.toBeInstanceOf(Error);
        expect((got as Buffer[]).map(String)).toEqual(want.map(String));
      }
    });
  }

  it('splits a cycle over the limits exactly as the full path does', () => {
    const many = Array.from({ length: 120 }, (_, i) => r({ point: `p${i}`, value: i / 3 }));
    for (const limits of [
      { maxReadings: 50, maxBytes: 1 << 20 },
      { maxReadings: 500, maxBytes: 2000 },
      { maxReadings: 120, maxBytes: 120 * 60 },
    ]) {
      const want = reference(many, limits) as Buffer[];
      expect((encoded(many, limits) as Buffer[]).map(String)).toEqual(want.map(String));
    }
  });

  it('refuses an envelope outside the contract (device id) with the contract error', () => {
    const bad = { ...dev, device: 'Not Valid' };
    expect(() => encodeRecords(id, bad, [r()], 0, T0)).toThrow(ContractError);
    expect(() => encodeRecords(id, bad, [r()], 0, T0)).toThrow(ContractError);
  });

  it('many random readings: same bytes or the same error', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const values = [0, -1.5, 1e21, 2 ** 53, Number.NaN, true, false, '', 'é"\\', null, 'x'.repeat(1030)];
    const qualities = ['good', 'uncertain', 'bad'] as const;
    for (let k = 0; k < 300; k++) {
      const readings = Array.from({ length: 1 + Math.floor(rnd() * 8) }, (_, i) =>
        r({
          point: rnd() < 0.05 ? '_x' : `p${i}`,
          value: values[Math.floor(rnd() * values.length)] as Reading['value'],
          quality: qualities[Math.floor(rnd() * 3)]!,
          ts: rnd() < 0.05 ? -1 : T0 + Math.floor(rnd() * 1000),
          ...(rnd() < 0.5 ? { reason: 'r'.repeat(Math.floor(rnd() * 300)) } : {}),
        }),
      );
      const want = reference(readings);
      const got = encoded(readings);
      if (want instanceof Error) expect((got as Error).message).toBe(want.message);
      else expect((got as Buffer[]).map(String)).toEqual(want.map(String));
    }
  });

  it('cycles of good numbers (the numeric path): same bytes, also over the limits and with a bad name', () => {
    let seed = 777;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const f32 = new Float32Array(1);
    const special = [0, -0, 1e21, 1e-7, 5e-324, 2 ** 53, -1.5, 123456789, -2147483648, 0.1];
    const value = () => {
      const k = rnd();
      if (k < 0.2) return special[Math.floor(rnd() * special.length)]!;
      if (k < 0.7) {
        f32[0] = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 4);
        return f32[0]!;
      }
      return Math.round((rnd() - 0.5) * 1e6);
    };
    let numericCycles = 0;
    for (let k = 0; k < 300; k++) {
      const n = 1 + Math.floor(rnd() * 60);
      const sharedTs = T0 + Math.floor(rnd() * 1e9);
      const readings = Array.from({ length: n }, (_, i) =>
        r({
          point: rnd() < 0.01 ? '_x' : `p${i}_${Math.floor(rnd() * 3)}`,
          value: value(),
          ts: rnd() < 0.8 ? sharedTs : T0 + Math.floor(rnd() * 1e9),
          ...(rnd() < 0.2 ? { reason: 'ignored for a good reading' } : {}),
        }),
      );
      const limits = rnd() < 0.1 ? { maxReadings: 20, maxBytes: 900 } : DEFAULT_BATCH_LIMITS;
      const want = reference(readings, limits);
      const got = encoded(readings, limits);
      if (want instanceof Error) expect((got as Error).message).toBe(want.message);
      else {
        expect((got as Buffer[]).map(String)).toEqual(want.map(String));
        if (want.length === 1) numericCycles++;
      }
    }
    expect(numericCycles).toBeGreaterThan(150);
  });

  it('records kept while many more are encoded stay intact (records share a slab, never bytes)', () => {
    const kept: { got: Buffer; want: string }[] = [];
    for (let k = 0; k < 2000; k++) {
      const readings = Array.from({ length: 1 + (k % 70) }, (_, i) =>
        r({ point: `p${i}`, value: k + i / 7, ts: T0 + k }),
      );
      const got = encoded(readings) as Buffer[];
      expect(got).toHaveLength(1);
      if (k % 3 === 0) kept.push({ got: got[0]!, want: String((reference(readings) as Buffer[])[0]) });
    }
    for (const { got, want } of kept) expect(String(got)).toBe(want);
  });
});
