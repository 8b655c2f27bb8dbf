/**
 * The read planner on adversarial layouts. Every test asserts the exact request list
 * (table, address, count, item names), because the request list is what goes on the wire.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CodecError,
  decodeResponse,
  type ModbusBinding,
  type ModbusPoint,
  type ModbusTable,
  type PlanOptions,
  planReads,
  type ReadRequest,
  registerCount,
  splitRequest,
} from '../src/index.js';

let seq = 0;
const pt = (
  table: ModbusTable,
  address: number,
  type: ModbusBinding['type'] = 'uint16',
  extra: Partial<ModbusBinding> = {},
): ModbusPoint => ({
  name: `p${seq++}_${table}_${address}`,
  unit: '1',
  type: type === 'bool' || type === 'bit' ? 'boolean' : 'float',
  modbus: { table, address, type, ...extra },
});
const h = (address: number, type?: ModbusBinding['type'], extra?: Partial<ModbusBinding>) =>
  pt('holding', address, type, extra);

/** [table, address, count, [item offsets]] per request */
const shape = (plan: ReadRequest[]) =>
  plan.map((r) => [r.table, r.address, r.count, r.items.map((i) => i.offset)] as const);
const plan = (points: ModbusPoint[], opts?: PlanOptions) => shape(planReads(points, opts));

const thrown = (f: () => unknown): CodecError => {
  try {
    f();
  } catch (e) {
    return e as CodecError;
  }
  throw new Error('expected a throw');
};

describe('planReads', () => {
  it('plans nothing for no points', () => {
    expect(planReads([])).toEqual([]);
  });

  it('merges across a hole of exactly maxGap (8) and splits at maxGap + 1', () => {
    expect(plan([h(0), h(9)])).toEqual([['holding', 0, 10, [0, 9]]]);
    expect(plan([h(0), h(10)])).toEqual([
      ['holding', 0, 1, [0]],
      ['holding', 10, 1, [0]],
    ]);
    // the hole is measured from the end of a multi-register value, not its start
    expect(plan([h(0, 'float32'), h(10)])).toEqual([['holding', 0, 11, [0, 10]]]);
    expect(plan([h(0, 'float32'), h(11)])).toHaveLength(2);
  });

  it('honours a custom maxGap, including 0 (only adjacent registers merge)', () => {
    expect(plan([h(0), h(1), h(3)], { maxGap: 0 })).toEqual([
      ['holding', 0, 2, [0, 1]],
      ['holding', 3, 1, [0]],
    ]);
    expect(plan([h(0), h(20)], { maxGap: 19 })).toEqual([['holding', 0, 21, [0, 20]]]);
    expect(plan([h(0), h(21)], { maxGap: 19 })).toHaveLength(2);
  });

  it('never spans a forbidden range, even when the hole is small', () => {
    const forbidden = [{ table: 'holding' as const, from: 3, to: 3 }];
    expect(plan([h(0), h(5)], { forbidden })).toEqual([
      ['holding', 0, 1, [0]],
      ['holding', 5, 1, [0]],
    ]);
    // forbidden ranges of another table, or outside the hole, change nothing
    expect(plan([h(0), h(5)], { forbidden: [{ table: 'input', from: 3, to: 3 }] })).toEqual([
      ['holding', 0, 6, [0, 5]],
    ]);
    expect(plan([h(0), h(5)], { forbidden: [{ table: 'holding', from: 6, to: 9 }] })).toEqual([
      ['holding', 0, 6, [0, 5]],
    ]);
    // a forbidden range right next to both points
    expect(plan([h(0), h(2)], { forbidden: [{ table: 'holding', from: 1, to: 1 }] })).toHaveLength(2);
  });

  it('rejects unreadable points all at once with GZ_PLAN_UNREADABLE', () => {
    const inHole = h(4);
    const tooWide = h(20, 'string', { length: 10 });
    const pastEnd = h(65534, 'float64');
    const noBit = h(30, 'bit');
    const e = thrown(() =>
      planReads([h(0), inHole, tooWide, pastEnd, noBit], {
        forbidden: [{ table: 'holding', from: 3, to: 5 }],
        maxRegistersPerRead: 8,
      }),
    );
    expect(e.code).toBe('GZ_PLAN_UNREADABLE');
    expect(e.message).toContain(inHole.name);
    expect(e.message).toContain(tooWide.name);
    expect(e.message).toContain(pastEnd.name);
    expect(e.message).toContain(noBit.name);
    expect(e.message).toContain('4 point(s)');
  });

  it('fills exactly 125 registers and starts a new request at the 126th', () => {
    const pts = Array.from({ length: 126 }, (_, i) => h(i));
    expect(plan(pts.slice(0, 125)).map(([t, a, c]) => [t, a, c])).toEqual([['holding', 0, 125]]);
    expect(plan(pts).map(([t, a, c]) => [t, a, c])).toEqual([
      ['holding', 0, 125],
      ['holding', 125, 1],
    ]);
  });

  it('moves a 4-register value that would straddle the limit whole into the next request', () => {
    const floats = Array.from({ length: 62 }, (_, i) => h(2 * i, 'float32')); // registers 0..123
    const straddler = h(124, 'float64'); // 124..127 would end at 128 > 125
    expect(plan([...floats, straddler]).map(([t, a, c]) => [t, a, c])).toEqual([
      ['holding', 0, 124],
      ['holding', 124, 4],
    ]);
    // one register earlier it fits exactly (121..124, request 0..124 = 125 registers)
    expect(plan([...floats.slice(0, 60), h(121, 'float64')]).map(([t, a, c]) => [t, a, c])).toEqual([
      ['holding', 0, 125],
    ]);
  });

  it('fills exactly 2000 bits and starts a new request at the 2001st', () => {
    const coils = Array.from({ length: 2001 }, (_, i) => pt('coil', i, 'bool'));
    expect(plan(coils.slice(0, 2000)).map(([t, a, c]) => [t, a, c])).toEqual([['coil', 0, 2000]]);
    expect(plan(coils).map(([t, a, c]) => [t, a, c])).toEqual([
      ['coil', 0, 2000],
      ['coil', 2000, 1],
    ]);
    expect(plan(coils.slice(0, 40), { maxBitsPerRead: 16 }).map(([t, a, c]) => [t, a, c])).toEqual([
      ['coil', 0, 16],
      ['coil', 16, 16],
      ['coil', 32, 8],
    ]);
  });

  it('clamps device limits above the protocol limit to 125 / 2000', () => {
    const pts = Array.from({ length: 130 }, (_, i) => pt('input', i));
    expect(plan(pts, { maxRegistersPerRead: 500 }).map(([, a, c]) => [a, c])).toEqual([
      [0, 125],
      [125, 5],
    ]);
  });

  it('keeps duplicates and overlapping points as separate items of one request', () => {
    const a = h(12);
    const bits = [0, 1, 15].map((bit) => h(20, 'bit', { bit }));
    const word = h(20);
    const u32 = h(28, 'uint32');
    const inner = h(29);
    expect(plan([u32, bits[2]!, a, a, word, inner, bits[0]!, bits[1]!])).toEqual([
      ['holding', 12, 18, [0, 0, 8, 8, 8, 8, 16, 17]],
    ]);
    const p = planReads([u32, bits[2]!, a, a, word, inner, bits[0]!, bits[1]!]);
    // ties at one address keep input order
    expect(p[0]!.items.map((i) => i.point)).toEqual([a, a, bits[2], word, bits[0], bits[1], u32, inner]);
  });

  it('plans each table separately, in function-code order, whatever the input order', () => {
    const pts = [pt('input', 0), pt('holding', 0), pt('discrete', 0, 'bool'), pt('coil', 0, 'bool')];
    expect(plan(pts)).toEqual([
      ['coil', 0, 1, [0]],
      ['discrete', 0, 1, [0]],
      ['holding', 0, 1, [0]],
      ['input', 0, 1, [0]],
    ]);
  });

  it('with maxRegistersPerRead = 1 reads each register alone and refuses wider values', () => {
    expect(plan([h(2), h(0), h(1)], { maxRegistersPerRead: 1 })).toEqual([
      ['holding', 0, 1, [0]],
      ['holding', 1, 1, [0]],
      ['holding', 2, 1, [0]],
    ]);
    expect(thrown(() => planReads([h(0, 'float32')], { maxRegistersPerRead: 1 })).code).toBe(
      'GZ_PLAN_UNREADABLE',
    );
  });

  it('plans an SDM630-style map (57 float32 input registers) into 5 requests, 6 at 80 registers', () => {
    const addrs = [
      ...Array.from({ length: 21 }, (_, i) => 2 * i), // 0..40 per-phase values
      42,
      46,
      48,
      52,
      56,
      60,
      62,
      66,
      70,
      72,
      74,
      76,
      78,
      80,
      82,
      84,
      86, // totals, energy, demand
      100,
      102,
      104,
      106, // demands
      200,
      202,
      204,
      206, // line-to-line voltages
      224,
      234,
      236,
      238,
      240,
      242,
      244,
      248,
      250, // neutral current, THD
      342,
      344, // total kWh, kVArh
    ];
    expect(addrs).toHaveLength(57);
    const pts = addrs.map((a) => pt('input', a, 'float32'));
    expect(plan(pts).map(([, a, c]) => [a, c])).toEqual([
      [0, 88],
      [100, 8],
      [200, 8],
      [224, 28],
      [342, 4],
    ]);
    expect(plan(pts, { maxRegistersPerRead: 80 }).map(([, a, c]) => [a, c])).toEqual([
      [0, 80],
      [80, 8],
      [100, 8],
      [200, 8],
      [224, 28],
      [342, 4],
    ]);
  });

  it('satisfies its invariants for random layouts (every point once, limits, forbidden, order)', () => {
    const types = ['uint16', 'float32', 'float64', 'bit', 'int64'] as const;
    const arbPoint = fc.record({
      table: fc.constantFrom<ModbusTable>('holding', 'input', 'coil'),
      address: fc.integer({ min: 0, max: 400 }),
      type: fc.constantFrom(...types),
    });
    fc.assert(
      fc.property(
        fc.array(arbPoint, { maxLength: 80 }),
        fc.integer({ min: 4, max: 125 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 3 }),
        (specs, limit, maxGap, holes) => {
          const forbidden = holes.map((f) => ({ table: 'holding' as const, from: f, to: f }));
          const pts = specs
            .map((s) => pt(s.table, s.address, s.table === 'coil' ? 'bool' : s.type, { bit: 3 }))
            .filter((p) => {
              const end = p.modbus.address + registerCount(p.modbus) - 1;
              return !forbidden.some(
                (f) => p.modbus.table === 'holding' && f.from <= end && f.to >= p.modbus.address,
              );
            });
          const reqs = planReads(pts, { maxRegistersPerRead: limit, maxGap, forbidden });
          const seen = reqs.flatMap((r) => r.items.map((i) => i.point));
          expect(seen).toHaveLength(pts.length);
          expect(new Set(seen)).toEqual(new Set(pts));
          for (const r of reqs) {
            expect(r.count).toBeLessThanOrEqual(r.table === 'coil' ? 2000 : limit);
            for (const it of r.items) {
              expect(it.point.modbus.table).toBe(r.table);
              expect(r.address + it.offset).toBe(it.point.modbus.address);
              expect(it.offset + registerCount(it.point.modbus)).toBeLessThanOrEqual(r.count);
            }
            const end = r.address + r.count - 1;
            if (r.table === 'holding')
              expect(forbidden.some((f) => f.from <= end && f.to >= r.address)).toBe(false);
          }
          const rank = (r: ReadRequest) => ['coil', 'discrete', 'holding', 'input'].indexOf(r.table);
          for (let i = 1; i < reqs.length; i++) {
            const [p, q] = [reqs[i - 1]!, reqs[i]!];
            expect(rank(p) < rank(q) || (rank(p) === rank(q) && p.address < q.address)).toBe(true);
          }
          // planning is deterministic: reversed input gives the same request boundaries
          expect(
            shape(planReads([...pts].reverse(), { maxRegistersPerRead: limit, maxGap, forbidden })).map(
              ([t, a, c]) => [t, a, c],
            ),
          ).toEqual(shape(reqs).map(([t, a, c]) => [t, a, c]));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('splitRequest (runtime fallback after exception 02)', () => {
  it('first splits at the filled holes, then per overlapping group, then gives up', () => {
    const [merged] = planReads([
      h(0, 'float32'),
      h(2),
      h(6),
      h(7, 'bit', { bit: 1 }),
      h(7, 'bit', { bit: 2 }),
    ]);
    expect(shape([merged!])).toEqual([['holding', 0, 8, [0, 2, 6, 7, 7]]]);
    const pieces = splitRequest(merged!);
    expect(shape(pieces)).toEqual([
      ['holding', 0, 3, [0, 2]],
      ['holding', 6, 2, [0, 1, 1]],
    ]);
    expect(shape(splitRequest(pieces[0]!))).toEqual([
      ['holding', 0, 2, [0]],
      ['holding', 2, 1, [0]],
    ]);
    expect(shape(splitRequest(pieces[1]!))).toEqual([
      ['holding', 6, 1, [0]],
      ['holding', 7, 1, [0, 0]],
    ]);
    const last = splitRequest(pieces[1]!)[1]!;
    expect(splitRequest(last)).toEqual([last]);
  });
});

describe('decodeResponse', () => {
  it('decodes each item from its slice and returns its words', () => {
    const v = { ...h(0, 'float32'), name: 'voltage' };
    const b = h(5, 'bit', { bit: 3 });
    const [req] = planReads([b, v]);
    const got = decodeResponse(req!, [0x4366, 0x0000, 0, 0, 0, 0x0008]);
    expect(got.map((g) => [g.point.name, g.value, g.words])).toEqual([
      ['voltage', 230, [0x4366, 0x0000]],
      [b.name, true, [0x0008]],
    ]);
  });

  it('uses the device default order for bindings without one', () => {
    const [req] = planReads([h(0, 'float32')]);
    expect(decodeResponse(req!, [0x0000, 0x4366], 'CDAB')[0]!.value).toBe(230);
  });

  it('accepts booleans for bit tables and ignores padding', () => {
    const [req] = planReads([pt('coil', 0, 'bool'), pt('coil', 2, 'bool')]);
    const got = decodeResponse(req!, [true, false, false, true, true, true, true, true]);
    expect(got.map((g) => g.value)).toEqual([true, false]);
  });

  it('throws GZ_CODEC_SHORT when the device returned fewer registers than asked', () => {
    const [req] = planReads([h(0, 'float32'), h(4)]);
    expect(thrown(() => decodeResponse(req!, [1, 2, 3])).code).toBe('GZ_CODEC_SHORT');
  });
});
