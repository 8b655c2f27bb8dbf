/**
 * Golden byte vectors for the Modbus codec, taken from real datasheets.
 *
 * Each vector names its source. "derived" means the datasheet states the encoding (e.g.
 * "IEEE-754 float, big-endian", or a byte order rule) but prints no register dump for that
 * exact value/order, so the words were worked out by hand from the stated rule and the
 * IEEE-754 bit pattern; they are still literal hex here, never computed by the code under test.
 *
 * Sources:
 * [MB]   MODBUS Application Protocol Specification V1.1b3 (modbus.org, 2012), §6.1 Read Coils
 *        (coils 20–38 → CD 6B 05), §6.2 Read Discrete Inputs (197–218 → AC DB 35), §6.3 Read
 *        Holding Registers (108–110 → 02 2B, 00 00, 00 64 = 555, 0, 100), §6.4 Read Input
 *        Registers (register 9 → 00 0A = 10).
 * [HC]   Honeywell HC900 Hybrid Controller Communications User Guide (Rev. 10, 12/07 and
 *        Rev. 13, 04/2017): §2.1 sample IEEE floats (100.0 = 42C80000, -100.0 = C2C80000,
 *        0.5 = 3F000000, -1.75 = BFE00000, 0.0625 = 3D800000, 1 = 3F800000); §3 Table 3-1
 *        double-register formats with byte orders FP B 4,3,2,1 (ABCD), FP BB 3,4,1,2 (BADC),
 *        FP L 1,2,3,4 (DCBA), FP LB 2,1,4,3 (CDAB, "Modicon and Wonderware standard"); §3.2
 *        worked example 12345678 hex in each of the four formats.
 * [SIE]  Siemens SITRANS F Modbus RTU RS 485 Operating Instructions 03/2021 A5E00753974-AB,
 *        Appendix B.8 Table B-12 "Float definition" (100.0 = 42C80000, 55.32 = 425D47AE,
 *        2.0, 1.0, -1.0) and the example "Read absolute massflow: response 01 03 04 40 C3 52 93
 *        → 6.10383 kg/s" (p. 72).
 * [BEN]  Bender COM461MT manual COM461MT_D00011_00_M_XXEN/05.2013 §7.3.4: test value 12.34 A read
 *        with function 4 at 0x0014 as 0x4145, 0x70A4.
 * [PXC]  Phoenix Contact EMpro user manual 109357_en_00 §11.6 Tables 11-12…11-14: 16-bit
 *        4660 = 0x1234; 32-bit 305419896 → n = 0x5678, n+1 = 0x1234; float 123.456 (0x42F6E979)
 *        → n = 0xE979, n+1 = 0x42F6 (low word first).
 * [VAI]  Vaisala DMT143 User Guide M211435EN-J Table 30 / HMDW110 M211726EN-D Table 55 /
 *        HMP110 M211060EN-H Table 20 "Modbus test registers": 1F00 int16 -12345, 1F01 float
 *        -123.45 (C2F6 E666, "least significant 16 bits at the listed register"), 1F03 text
 *        "-123.45" (2D31 3233 2E34 …, first characters in the first register even though the device
 *        is CDAB for numbers; the fourth register 3500 follows from 7 characters + NUL); Indigo510/520 User Guide M212287EN-N p. 118: 30.56 %RH
 *        returned as 41F47AE1 "least significant word first"; DMT340 manual Appendix B: a quiet
 *        NaN 0x7FC00000 is returned for unavailable values.
 * [SDM]  Eastron SDM630 Modbus Protocol (SDM630MCT V1.7 appendix / SDM630-Modbus V2 §1.2–1.3):
 *        input registers 30001… are IEEE-754 floats, big-endian (ABCD), two registers each;
 *        holding 40011 (address 10) "System Type: 3p4w = 3, 3p3w = 2, 1p2w = 1" as a float.
 *        No dump is printed: 230.0 V = 0x4366 0x0000 and 3.0 = 0x4040 0x0000 are derived.
 * [SE]   Schneider Electric FAQ FA241273 (PM5000 series): "The INT64 data type uses the MSB format
 *        … use A+B+C+D" (ABCD); FAQ FA309258: energy registers are 64-bit unsigned. Derived.
 * [JUMO] JUMO LOGOSCREEN nt interface description §4: double 1234567.89 (0x4132D687E3D70A3D),
 *        response 14 03 08 41 32 D6 87 E3 D7 0A 3D — bytes in big-endian order (ABCD).
 * [TUF]  TUF-2000F ultrasonic flow meter user manual §5.1.3: REG 3588 "Power-on error code, BIT:
 *        B15 stand for corrected lost flow" (bit 15 of the register).
 * [IEEE] IEEE 754-2008 binary32/binary64: +Infinity = 7F800000, quiet NaN = 7FC00000.
 */
import { describe, expect, it } from 'vitest';
import {
  BYTE_ORDERS,
  type ByteOrder,
  decodeRaw,
  decodeResponse,
  encodeRaw,
  MODBUS_TYPES,
  type ModbusBinding,
  type ModbusPoint,
  type ModbusType,
  planReads,
  type RawValue,
} from '../src/index.js';

interface Golden {
  src: string;
  type: ModbusType;
  order: ByteOrder;
  words: number[];
  raw: RawValue;
  length?: number;
  bit?: number;
  /** the words are not what encodeRaw produces (non-canonical input), only check decoding */
  decodeOnly?: boolean;
}

const ALL = BYTE_ORDERS;
const each = (orders: readonly ByteOrder[], g: Omit<Golden, 'order'>): Golden[] =>
  orders.map((order) => ({ ...g, order }));

const GOLDEN: Golden[] = [
  // ---- 16-bit -------------------------------------------------------------------------
  { src: '[MB] §6.3 register 108', type: 'uint16', order: 'ABCD', words: [0x022b], raw: 555 },
  { src: '[MB] §6.3 register 110', type: 'uint16', order: 'ABCD', words: [0x0064], raw: 100 },
  { src: '[MB] §6.4 input register 9', type: 'uint16', order: 'ABCD', words: [0x000a], raw: 10 },
  { src: '[PXC] Table 11-12 (CDAB device)', type: 'uint16', order: 'CDAB', words: [0x1234], raw: 4660 },
  { src: 'derived from [MB] §6.3, bytes swapped', type: 'uint16', order: 'BADC', words: [0x2b02], raw: 555 },
  { src: 'derived from [PXC], bytes swapped', type: 'uint16', order: 'DCBA', words: [0x3412], raw: 4660 },
  { src: '[VAI] test register 1F00', type: 'int16', order: 'ABCD', words: [0xcfc7], raw: -12345 },
  { src: '[VAI] 1F00 on a CDAB device', type: 'int16', order: 'CDAB', words: [0xcfc7], raw: -12345 },
  { src: 'derived from [VAI] 1F00, swapped', type: 'int16', order: 'BADC', words: [0xc7cf], raw: -12345 },
  { src: 'derived from [VAI] 1F00, swapped', type: 'int16', order: 'DCBA', words: [0xc7cf], raw: -12345 },
  // ---- 32-bit integers: [HC] §3.2 gives 12345678 hex in all four formats ----------------
  { src: '[HC] §3.2 FP B', type: 'uint32', order: 'ABCD', words: [0x1234, 0x5678], raw: 305419896 },
  { src: '[HC] §3.2 FP BB', type: 'uint32', order: 'BADC', words: [0x3412, 0x7856], raw: 305419896 },
  { src: '[HC] §3.2 FP LB', type: 'uint32', order: 'CDAB', words: [0x5678, 0x1234], raw: 305419896 },
  { src: '[HC] §3.2 FP L', type: 'uint32', order: 'DCBA', words: [0x7856, 0x3412], raw: 305419896 },
  { src: '[PXC] Table 11-13', type: 'int32', order: 'CDAB', words: [0x5678, 0x1234], raw: 305419896 },
  { src: '[HC] §3.2 FP B', type: 'int32', order: 'ABCD', words: [0x1234, 0x5678], raw: 305419896 },
  // -123456789 = F8A432EB, laid out by the [HC] Table 3-1 rules (derived)
  { src: 'derived [HC] FP B', type: 'int32', order: 'ABCD', words: [0xf8a4, 0x32eb], raw: -123456789 },
  { src: 'derived [HC] FP BB', type: 'int32', order: 'BADC', words: [0xa4f8, 0xeb32], raw: -123456789 },
  { src: 'derived [HC] FP LB', type: 'int32', order: 'CDAB', words: [0x32eb, 0xf8a4], raw: -123456789 },
  { src: 'derived [HC] FP L', type: 'int32', order: 'DCBA', words: [0xeb32, 0xa4f8], raw: -123456789 },
  // ---- float32 ------------------------------------------------------------------------
  {
    src: '[SDM] 30001 voltage 230.0 V (derived)',
    type: 'float32',
    order: 'ABCD',
    words: [0x4366, 0],
    raw: 230,
  },
  { src: '[SIE] Table B-12 100.0', type: 'float32', order: 'ABCD', words: [0x42c8, 0x0000], raw: 100 },
  { src: '[SIE] Table B-12 -1.0', type: 'float32', order: 'ABCD', words: [0xbf80, 0x0000], raw: -1 },
  { src: '[SIE] Table B-12 2.0', type: 'float32', order: 'ABCD', words: [0x4000, 0x0000], raw: 2 },
  {
    src: '[SIE] Table B-12 55.32',
    type: 'float32',
    order: 'ABCD',
    words: [0x425d, 0x47ae],
    raw: Math.fround(55.32),
  },
  {
    src: '[SIE] massflow response 40 C3 52 93 = 6.10383',
    type: 'float32',
    order: 'ABCD',
    words: [0x40c3, 0x5293],
    raw: Math.fround(6.10383),
  },
  {
    src: '[BEN] §7.3.4 12.34 A',
    type: 'float32',
    order: 'ABCD',
    words: [0x4145, 0x70a4],
    raw: Math.fround(12.34),
  },
  { src: '[HC] §2.1 -100.0 in FP B', type: 'float32', order: 'ABCD', words: [0xc2c8, 0x0000], raw: -100 },
  { src: '[HC] §2.1 100.0 in FP BB', type: 'float32', order: 'BADC', words: [0xc842, 0x0000], raw: 100 },
  { src: '[HC] §2.1 -1.75 in FP BB', type: 'float32', order: 'BADC', words: [0xe0bf, 0x0000], raw: -1.75 },
  { src: '[HC] §2.1 0.0625 in FP LB', type: 'float32', order: 'CDAB', words: [0x0000, 0x3d80], raw: 0.0625 },
  { src: '[HC] §2.1 100.0 in FP LB', type: 'float32', order: 'CDAB', words: [0x0000, 0x42c8], raw: 100 },
  {
    src: '[PXC] Table 11-14 123.456',
    type: 'float32',
    order: 'CDAB',
    words: [0xe979, 0x42f6],
    raw: Math.fround(123.456),
  },
  {
    src: '[VAI] Indigo 30.56 %RH',
    type: 'float32',
    order: 'CDAB',
    words: [0x7ae1, 0x41f4],
    raw: Math.fround(30.56),
  },
  {
    src: '[VAI] test register 1F01',
    type: 'float32',
    order: 'CDAB',
    words: [0xe666, 0xc2f6],
    raw: Math.fround(-123.45),
  },
  { src: '[HC] §2.1 0.5 in FP L', type: 'float32', order: 'DCBA', words: [0x0000, 0x003f], raw: 0.5 },
  { src: '[HC] §2.1 -100.0 in FP L', type: 'float32', order: 'DCBA', words: [0x0000, 0xc8c2], raw: -100 },
  { src: '[HC] §2.1 1 in FP L', type: 'float32', order: 'DCBA', words: [0x0000, 0x803f], raw: 1 },
  {
    src: '[VAI] quiet NaN (CDAB device)',
    type: 'float32',
    order: 'CDAB',
    words: [0x0000, 0x7fc0],
    raw: Number.NaN,
  },
  { src: '[IEEE] quiet NaN', type: 'float32', order: 'ABCD', words: [0x7fc0, 0x0000], raw: Number.NaN },
  {
    src: '[IEEE] +Infinity',
    type: 'float32',
    order: 'ABCD',
    words: [0x7f80, 0x0000],
    raw: Number.POSITIVE_INFINITY,
  },
  {
    src: '[IEEE] -Infinity',
    type: 'float32',
    order: 'DCBA',
    words: [0x0000, 0x80ff],
    raw: Number.NEGATIVE_INFINITY,
  },
  // ---- 64-bit integers ----------------------------------------------------------------
  {
    src: '[SE] FA241273 INT64 A+B+C+D: 1234567890123 Wh (derived)',
    type: 'int64',
    order: 'ABCD',
    words: [0x0000, 0x011f, 0x71fb, 0x04cb],
    raw: 1234567890123n,
  },
  // -0x0123456789ABCDEF = FEDCBA9876543211: every byte distinct, so every misplacement shows
  ...[
    ['ABCD', [0xfedc, 0xba98, 0x7654, 0x3211]],
    ['BADC', [0xdcfe, 0x98ba, 0x5476, 0x1132]],
    ['CDAB', [0x3211, 0x7654, 0xba98, 0xfedc]],
    ['DCBA', [0x1132, 0x5476, 0x98ba, 0xdcfe]],
  ].map(([order, words]) => ({
    src: '[SE] INT64 layout, derived per order',
    type: 'int64' as const,
    order: order as ByteOrder,
    words: words as number[],
    raw: -81985529216486895n,
  })),
  ...[
    ['ABCD', [0x0123, 0x4567, 0x89ab, 0xcdef]],
    ['BADC', [0x2301, 0x6745, 0xab89, 0xefcd]],
    ['CDAB', [0xcdef, 0x89ab, 0x4567, 0x0123]],
    ['DCBA', [0xefcd, 0xab89, 0x6745, 0x2301]],
  ].map(([order, words]) => ({
    src: '[SE] FA309258 UINT64, derived per order',
    type: 'uint64' as const,
    order: order as ByteOrder,
    words: words as number[],
    raw: 0x0123456789abcdefn,
  })),
  {
    src: '[SE] UINT64 above 2^63 (derived)',
    type: 'uint64',
    order: 'ABCD',
    words: [0x8000, 0, 0, 1],
    raw: 9223372036854775809n,
  },
  // ---- float64: [JUMO] 1234567.89 -----------------------------------------------------
  ...[
    ['ABCD', [0x4132, 0xd687, 0xe3d7, 0x0a3d], '[JUMO] §4 response bytes'],
    ['BADC', [0x3241, 0x87d6, 0xd7e3, 0x3d0a], 'derived from [JUMO]'],
    ['CDAB', [0x0a3d, 0xe3d7, 0xd687, 0x4132], 'derived from [JUMO]'],
    ['DCBA', [0x3d0a, 0xd7e3, 0x87d6, 0x3241], 'derived from [JUMO]'],
  ].map(([order, words, src]) => ({
    src: src as string,
    type: 'float64' as const,
    order: order as ByteOrder,
    words: words as number[],
    raw: 1234567.89,
  })),
  // ---- strings: [VAI] 1F03 "-123.45" over 4 registers ----------------------------------
  // A CDAB device ([VAI]) stores text in ascending register order: strings never word-swap.
  ...each(['ABCD', 'CDAB'], {
    src: '[VAI] test register 1F03',
    type: 'string',
    length: 4,
    words: [0x2d31, 0x3233, 0x2e34, 0x3500],
    raw: '-123.45',
  }),
  ...each(['BADC', 'DCBA'], {
    src: 'derived from [VAI] 1F03, bytes swapped',
    type: 'string',
    length: 4,
    words: [0x312d, 0x3332, 0x342e, 0x0035],
    raw: '-123.45',
  }),
  {
    src: 'space-padded text (derived)',
    type: 'string',
    order: 'ABCD',
    length: 3,
    words: [0x5344, 0x4d20, 0x2020],
    raw: 'SDM',
    decodeOnly: true,
  },
  // ---- bool / bit: order does not apply -------------------------------------------------
  ...each(ALL, { src: 'register ≠ 0 (derived)', type: 'bool', words: [0x0001], raw: true }),
  ...each(ALL, { src: 'register = 0 (derived)', type: 'bool', words: [0x0000], raw: false }),
  ...each(ALL, { src: 'register ≠ 0 (derived)', type: 'bool', words: [0x0100], raw: true, decodeOnly: true }),
  ...each(ALL, { src: '[TUF] REG 3588 B15 set', type: 'bit', bit: 15, words: [0x8000], raw: true }),
  ...each(ALL, {
    src: '[TUF] REG 3588 B15 clear',
    type: 'bit',
    bit: 15,
    words: [0x7fff],
    raw: false,
    decodeOnly: true,
  }),
  ...each(ALL, { src: 'bit 0 = LSB (derived)', type: 'bit', bit: 0, words: [0x0001], raw: true }),
];

const binding = (g: Golden): ModbusBinding => ({
  table: 'holding',
  address: 0,
  type: g.type,
  order: g.order,
  ...(g.length !== undefined ? { length: g.length } : {}),
  ...(g.bit !== undefined ? { bit: g.bit } : {}),
});
const hex = (w: number[]) => w.map((x) => x.toString(16).padStart(4, '0')).join(' ');
const label = (g: Golden) => `${g.type} ${g.order} ${hex(g.words)} — ${g.src}`;

describe('golden vectors: words → raw', () => {
  it.each(GOLDEN.map((g) => [label(g), g] as const))('%s', (_l, g) => {
    expect(decodeRaw(binding(g), g.words)).toStrictEqual(g.raw);
  });
});

describe('golden vectors: raw → words', () => {
  const encodable = GOLDEN.filter((g) => !g.decodeOnly);
  it.each(encodable.map((g) => [label(g), g] as const))('%s', (_l, g) => {
    expect(hex(encodeRaw(binding(g), g.raw))).toBe(hex(g.words));
  });
});

describe('golden coverage', () => {
  it('has at least one encodable vector for every register type × every order', () => {
    const missing: string[] = [];
    for (const type of MODBUS_TYPES) {
      for (const order of BYTE_ORDERS) {
        if (!GOLDEN.some((g) => g.type === type && g.order === order && !g.decodeOnly)) {
          missing.push(`${type}/${order}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('the order from the binding wins over the device default', () => {
    const b: ModbusBinding = { table: 'input', address: 0, type: 'float32', order: 'ABCD' };
    expect(decodeRaw(b, [0x4366, 0x0000], 'CDAB')).toBe(230);
    const { order: _drop, ...noOrder } = b;
    expect(decodeRaw(noOrder, [0x0000, 0x4366], 'CDAB')).toBe(230);
    expect(decodeRaw(noOrder, [0x4366, 0x0000])).toBe(230);
  });
});

describe('golden vectors through the planner: [MB] §6.1–6.4 examples', () => {
  const pt = (name: string, modbus: ModbusBinding, type: ModbusPoint['type'] = 'integer'): ModbusPoint => ({
    name,
    unit: '1',
    type,
    modbus,
  });

  it('§6.3 holding registers 108–110 (PDU 107–109) read as one request → 555, 0, 100', () => {
    const points = [107, 108, 109].map((a) =>
      pt(`r${a + 1}`, { table: 'holding', address: a, type: 'uint16' }),
    );
    const plan = planReads(points);
    expect(plan.map(({ table, address, count }) => ({ table, address, count }))).toEqual([
      { table: 'holding', address: 0x6b, count: 3 },
    ]);
    const got = decodeResponse(plan[0]!, [0x022b, 0x0000, 0x0064]);
    expect(got.map((g) => g.value)).toEqual([555, 0, 100]);
  });

  it('§6.4 input register 9 (PDU 8) → 10', () => {
    const plan = planReads([pt('r9', { table: 'input', address: 8, type: 'uint16' })]);
    expect(decodeResponse(plan[0]!, [0x000a]).map((g) => g.value)).toEqual([10]);
  });

  /** Unpacks a packed bit response (LSB of the first byte = first address), as the spec defines. */
  const unpack = (bytes: number[], n: number) =>
    Array.from({ length: n }, (_, i) => ((bytes[i >> 3]! >> (i & 7)) & 1) === 1);

  it('§6.1 coils 20–38 (PDU 19–37) from CD 6B 05', () => {
    const points = Array.from({ length: 19 }, (_, i) =>
      pt(`c${20 + i}`, { table: 'coil', address: 19 + i, type: 'bool' }, 'boolean'),
    );
    const [req, ...rest] = planReads(points);
    expect(rest).toEqual([]);
    expect({ address: req!.address, count: req!.count }).toEqual({ address: 0x13, count: 0x13 });
    const values = decodeResponse(req!, unpack([0xcd, 0x6b, 0x05], 24)).map((g) => (g.value ? 1 : 0));
    expect(values).toEqual([1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1]);
  });

  it('§6.2 discrete inputs 197–218 (PDU 196–217) from AC DB 35', () => {
    const points = Array.from({ length: 22 }, (_, i) =>
      pt(`d${197 + i}`, { table: 'discrete', address: 196 + i, type: 'bool' }, 'boolean'),
    );
    const [req] = planReads(points);
    expect({ address: req!.address, count: req!.count }).toEqual({ address: 0xc4, count: 0x16 });
    const values = decodeResponse(req!, unpack([0xac, 0xdb, 0x35], 24)).map((g) => (g.value ? 1 : 0));
    expect(values).toEqual([0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1]);
  });
});
