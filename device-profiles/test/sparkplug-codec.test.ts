/**
 * The Sparkplug B codec against an independent one: Eclipse Tahu's JS codec (npm
 * `sparkplug-payload`, protobufjs 6 over Tahu's `sparkplug_b.proto`), both ways, for every
 * scalar data type of Sparkplug 3.0 §6.4.16, plus malformed input and one byte vector from the
 * protobuf encoding guide.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sparkplug } from '../src/index.js';

const { DataType, decodePayload, encodePayload, propertyMap, typedValue, SparkplugCodecError } = sparkplug;

const require = createRequire(import.meta.url);
type TahuLong = { toString(): string; toNumber(): number; unsigned: boolean };
interface TahuCodec {
  encodePayload(p: unknown): Uint8Array;
  decodePayload(b: Uint8Array): {
    timestamp?: TahuLong;
    seq?: TahuLong;
    metrics?: {
      name?: string;
      alias?: TahuLong;
      type: string;
      value: unknown;
      timestamp?: TahuLong;
      isHistorical?: boolean;
      properties?: Record<string, { type: string; value: unknown }>;
    }[];
  };
}
const tahu = (require('sparkplug-payload') as { get(ns: string): TahuCodec }).get('spBv1.0');
const Long = require('long') as {
  fromString(s: string, unsigned?: boolean): TahuLong;
  fromNumber(n: number, unsigned?: boolean): TahuLong;
};

const TS = 1_486_144_502_122; // the timestamp of the spec's §6.4.19 NBIRTH example

/**
 * Every scalar type with its edge values: [name, datatype, value for Tahu's encoder, the
 * value our decoder must yield]. The expected values are the values put in, written out.
 */
const CASES: [string, number, unknown, number | bigint | boolean | string][] = [
  ['Int8 min', DataType.Int8, -128, -128],
  ['Int8 max', DataType.Int8, 127, 127],
  ['Int8 -1', DataType.Int8, -1, -1],
  ['Int16 min', DataType.Int16, -32768, -32768],
  ['Int16 max', DataType.Int16, 32767, 32767],
  ['Int32 min', DataType.Int32, -2147483648, -2147483648],
  ['Int32 max', DataType.Int32, 2147483647, 2147483647],
  ['Int64 min', DataType.Int64, Long.fromString('-9223372036854775808'), -9223372036854775808n],
  ['Int64 max', DataType.Int64, Long.fromString('9223372036854775807'), 9223372036854775807n],
  ['Int64 -2', DataType.Int64, -2, -2n],
  ['UInt8 max', DataType.UInt8, 255, 255],
  ['UInt16 max', DataType.UInt16, 65535, 65535],
  ['UInt32 max', DataType.UInt32, 4294967295, 4294967295],
  ['UInt64 max', DataType.UInt64, Long.fromString('18446744073709551615', true), 18446744073709551615n],
  ['UInt64 2^53+1', DataType.UInt64, Long.fromString('9007199254740993', true), 9007199254740993n],
  ['Float 12.1', DataType.Float, 12.1, Math.fround(12.1)],
  ['Float -0.5', DataType.Float, -0.5, -0.5],
  ['Double pi', DataType.Double, Math.PI, Math.PI],
  ['Double 1e300', DataType.Double, 1e300, 1e300],
  ['Boolean true', DataType.Boolean, true, true],
  ['Boolean false', DataType.Boolean, false, false],
  ['String utf-8', DataType.String, '感知 Ω ✓', '感知 Ω ✓'],
  ['String empty', DataType.String, '', ''],
  ['DateTime', DataType.DateTime, Long.fromNumber(TS, true), TS],
  ['Text', DataType.Text, 'line one', 'line one'],
  ['UUID', DataType.UUID, '6f1c7e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6', '6f1c7e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6'],
];

const typeName = (t: number) => Object.entries(DataType).find(([, v]) => v === t)?.[0] as string;

describe('Tahu encodes, we decode', () => {
  it.each(CASES)('%s', (name, datatype, tahuValue, expected) => {
    const bytes = tahu.encodePayload({
      timestamp: TS,
      seq: 7,
      metrics: [{ name, alias: 3, timestamp: TS, type: typeName(datatype), value: tahuValue }],
    });
    const p = decodePayload(bytes);
    expect(p.timestamp).toBe(TS);
    expect(p.seq).toBe(7);
    const m = p.metrics[0]!;
    expect(m.name).toBe(name);
    expect(m.alias).toBe(3);
    expect(m.datatype).toBe(datatype);
    expect(typedValue(datatype, m.raw)).toEqual({ ok: true, value: expected });
  });

  it('null: is_null set, no value', () => {
    const bytes = tahu.encodePayload({
      timestamp: TS,
      metrics: [{ name: 'n', type: 'Double', value: null }],
    });
    const m = decodePayload(bytes).metrics[0]!;
    expect(m.isNull).toBe(true);
    expect(m.raw).toBeUndefined();
  });

  it('historical flag and properties (Quality int32, engUnit string)', () => {
    const bytes = tahu.encodePayload({
      timestamp: TS,
      metrics: [
        {
          name: 'Supply Voltage',
          type: 'Float',
          value: 12.3,
          isHistorical: true,
          properties: {
            Quality: { type: 'Int32', value: 500 },
            engUnit: { type: 'String', value: 'V' },
          },
        },
      ],
    });
    const m = decodePayload(bytes).metrics[0]!;
    expect(m.isHistorical).toBe(true);
    const props = propertyMap(m.properties);
    expect(props.get('Quality')).toBe(500);
    expect(props.get('engUnit')).toBe('V');
  });

  it('the NBIRTH example of the spec (§6.4.19) as Tahu encodes it', () => {
    const bytes = tahu.encodePayload({
      timestamp: TS,
      metrics: [
        { name: 'bdSeq', timestamp: TS, type: 'UInt64', value: 0 },
        { name: 'Node Control/Rebirth', timestamp: TS, type: 'Boolean', value: false },
        { name: 'Node Control/Scan Rate', timestamp: TS, type: 'Int64', value: 3000 },
        { name: 'Properties/Hardware Make', timestamp: TS, type: 'String', value: 'Raspberry Pi' },
        { name: 'Supply Voltage', timestamp: TS, type: 'Float', value: 12.1 },
      ],
      seq: 0,
    });
    const p = decodePayload(bytes);
    expect(p.seq).toBe(0);
    expect(p.metrics.map((m) => [m.name, typedValue(m.datatype!, m.raw)])).toEqual([
      ['bdSeq', { ok: true, value: 0n }],
      ['Node Control/Rebirth', { ok: true, value: false }],
      ['Node Control/Scan Rate', { ok: true, value: 3000n }],
      ['Properties/Hardware Make', { ok: true, value: 'Raspberry Pi' }],
      ['Supply Voltage', { ok: true, value: Math.fround(12.1) }],
    ]);
  });
});

/**
 * What Tahu's decoder returns for a value, normalised to compare with what we put in. Tahu
 * hands 64-bit fields back as `Long` and, when its `instanceof Long` check misses (two copies of
 * `long` installed), unconverted: Int64 then comes back as its unsigned 64-bit view, and UInt32
 * as a Long (or through `Long.toInt()`, a signed 32-bit number). Both are the same bits.
 */
function tahuValue(datatype: number, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'toString' in v && 'unsigned' in v) {
    const big = BigInt((v as TahuLong).toString());
    if (datatype === DataType.Int64) return BigInt.asIntN(64, big);
    if (datatype === DataType.UInt32) return Number(BigInt.asUintN(32, big));
    return big;
  }
  if (datatype === DataType.UInt32 && typeof v === 'number') return v >>> 0;
  return v;
}

describe('we encode, Tahu decodes', () => {
  it.each(CASES)('%s', (name, datatype, _tahu, value) => {
    const bytes = encodePayload({
      timestamp: TS,
      seq: 255,
      metrics: [{ name, alias: 9, timestamp: TS, datatype, value }],
    });
    const p = tahu.decodePayload(bytes);
    expect(String(p.timestamp)).toBe(String(TS));
    expect(String(p.seq)).toBe('255');
    const m = p.metrics![0]!;
    expect(m.name).toBe(name);
    expect(String(m.alias)).toBe('9');
    expect(m.type).toBe(typeName(datatype));
    const got = tahuValue(datatype, m.value);
    const want =
      typeof value === 'bigint' || datatype === DataType.DateTime ? BigInt(value as number | bigint) : value;
    expect(got).toEqual(want);
  });

  it('null goes out as is_null without a value', () => {
    const p = tahu.decodePayload(
      encodePayload({ metrics: [{ name: 'n', datatype: DataType.Int32, value: null }] }),
    );
    expect(p.metrics![0]!.value).toBeNull();
  });

  it('properties and the historical flag', () => {
    const bytes = encodePayload({
      timestamp: TS,
      metrics: [
        {
          alias: 4,
          timestamp: TS - 60_000,
          datatype: DataType.Double,
          value: 229.5,
          isHistorical: true,
          properties: {
            Quality: { type: DataType.Int32, value: 0 },
            engUnit: { type: DataType.String, value: 'V' },
          },
        },
      ],
    });
    const m = tahu.decodePayload(bytes).metrics![0]!;
    expect(m.isHistorical).toBe(true);
    expect(m.value).toBe(229.5);
    expect(String(m.timestamp)).toBe(String(TS - 60_000));
    expect(m.properties?.Quality?.value).toBe(0);
    expect(m.properties?.engUnit?.value).toBe('V');
  });

  it('refuses a value that does not fit its datatype, naming the metric', () => {
    expect(() => encodePayload({ metrics: [{ name: 'x', datatype: DataType.Int8, value: 128 }] })).toThrow(
      /metrics\[0\] \(x\): Int8 value 128 out of range/,
    );
    expect(() => encodePayload({ metrics: [{ name: 'y', datatype: DataType.Boolean, value: 1 }] })).toThrow(
      /Boolean needs a boolean/,
    );
  });
});

describe('decoding malformed payloads', () => {
  it('the protobuf guide example varint (150 = 96 01) as the payload timestamp', () => {
    // protobuf.dev/programming-guides/encoding, "A Simple Message": field 1 = 150 → 08 96 01
    expect(decodePayload(Uint8Array.from([0x08, 0x96, 0x01])).timestamp).toBe(150);
  });

  const bad: [string, number[], RegExp][] = [
    ['truncated varint', [0x08, 0x96], /\(payload\): truncated varint at byte 2/],
    ['length past the end', [0x12, 0x05, 0x0a], /runs past the end/],
    ['wrong wire type for seq', [0x1d, 0, 0, 0, 0], /field 3 has wire type 5, expected 0/],
    ['metric name not UTF-8', [0x12, 0x03, 0x0a, 0x01, 0xff], /metrics\[0\]: string is not valid UTF-8/],
    ['wire type 3 (group) on an unknown field', [0x33], /unsupported wire type 3/],
    ['wire type 3 on a known field', [0x0b], /field 1 has wire type 3, expected 0/],
    ['field number 0', [0x00], /field number 0/],
    // metric with a property set of 1 key and 0 values
    ['property set keys without values', [0x12, 0x05, 0x4a, 0x03, 0x0a, 0x01, 0x61], /1 keys and 0 values/],
  ];
  it.each(bad)('%s', (_what, bytes, message) => {
    let err: unknown;
    try {
      decodePayload(Uint8Array.from(bytes));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SparkplugCodecError);
    expect((err as Error).message).toMatch(message);
  });

  it('random bytes either decode or fail with GZ_SPARKPLUG_DECODE, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodePayload(bytes);
        } catch (e) {
          return (e as { code?: string }).code === 'GZ_SPARKPLUG_DECODE';
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });

  it('a value in the wrong oneof field is a typed error, not a wrong number', () => {
    const m = decodePayload(
      encodePayload({ metrics: [{ name: 's', datatype: DataType.String, value: 'x' }] }),
    ).metrics[0]!;
    expect(typedValue(DataType.Double, m.raw)).toEqual({
      ok: false,
      error: 'Double metric carries a string value',
    });
    expect(typedValue(DataType.UInt8, { kind: 'int', v: 256 })).toEqual({
      ok: false,
      error: 'UInt8 value 256 out of range',
    });
  });
});
