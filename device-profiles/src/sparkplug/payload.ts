/**
 * The Sparkplug B payload (`sparkplug_b.proto`, `message Payload`; Sparkplug 3.0 §6.4): its
 * types and the decoder (the encoder is payload-encode.ts).
 *
 * Decoding keeps each metric's value as it came on the wire (`raw`: which `oneof` field and
 * its content), because DATA messages carry no datatype: the host resolves the alias to the
 * birth's datatype and then calls `typedValue`. DataSet, Template and extension values are
 * kept as raw bytes (not interpreted). Unknown fields are skipped.
 *
 * Integer encodings follow Eclipse Tahu (the reference implementation, JS `sparkplug-payload`):
 * Int8/16/32 and UInt8/16 in `int_value` (signed values as 32-bit two's complement), Int64,
 * UInt32, UInt64 and DateTime in `long_value` (Int64 as 64-bit two's complement). The decoder
 * also accepts UInt32 in `int_value` (the spec's §6.4.17 table) and any integer in either field.
 */
import { DataType, dataTypeName, intRange, type SparkplugScalar } from './datatypes.js';
import {
  ProtoReader,
  SparkplugCodecError,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from './wire.js';

/** A `oneof value` as received. */
export type RawValue =
  | { kind: 'int'; v: number }
  | { kind: 'long'; v: bigint }
  | { kind: 'float'; v: number }
  | { kind: 'double'; v: number }
  | { kind: 'boolean'; v: boolean }
  | { kind: 'string'; v: string }
  | { kind: 'bytes'; v: Uint8Array }
  | { kind: 'propertyset'; v: PropertySet }
  | { kind: 'propertysets'; v: PropertySet[] }
  | { kind: 'dataset' | 'template' | 'extension'; v: Uint8Array };

export interface PropertyValue {
  type?: number;
  isNull?: boolean;
  raw?: RawValue;
}

export interface PropertySet {
  keys: string[];
  values: PropertyValue[];
}

export interface Metric {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  isNull?: boolean;
  properties?: PropertySet;
  raw?: RawValue;
}

export interface Payload {
  timestamp?: number;
  metrics: Metric[];
  seq?: number;
  uuid?: string;
  body?: Uint8Array;
}

// ---------------------------------------------------------------- decoding

function decodeValueField(r: ProtoReader, field: number, wire: number, base: number): RawValue | undefined {
  // `base` is the field number of int_value in this message's oneof (Metric 10, PropertyValue 3)
  switch (field - base) {
    case 0:
      r.expect(field, wire, WIRE_VARINT);
      return { kind: 'int', v: r.uint32() };
    case 1:
      r.expect(field, wire, WIRE_VARINT);
      return { kind: 'long', v: r.varintBig() };
    case 2:
      r.expect(field, wire, WIRE_FIXED32);
      return { kind: 'float', v: r.float() };
    case 3:
      r.expect(field, wire, WIRE_FIXED64);
      return { kind: 'double', v: r.double() };
    case 4:
      r.expect(field, wire, WIRE_VARINT);
      return { kind: 'boolean', v: r.bool() };
    case 5:
      r.expect(field, wire, WIRE_LEN);
      return { kind: 'string', v: r.string() };
    default:
      return undefined;
  }
}

function decodePropertyValue(r: ProtoReader): PropertyValue {
  const pv: PropertyValue = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) {
      r.expect(field, wire, WIRE_VARINT);
      pv.type = r.uint32();
    } else if (field === 2) {
      r.expect(field, wire, WIRE_VARINT);
      pv.isNull = r.bool();
    } else if (field >= 3 && field <= 8) {
      pv.raw = decodeValueField(r, field, wire, 3);
    } else if (field === 9) {
      r.expect(field, wire, WIRE_LEN);
      pv.raw = { kind: 'propertyset', v: decodePropertySet(r.sub(`${r.path}.propertyset_value`)) };
    } else if (field === 10) {
      r.expect(field, wire, WIRE_LEN);
      pv.raw = { kind: 'propertysets', v: decodePropertySetList(r.sub(`${r.path}.propertysets_value`)) };
    } else r.skip(wire);
  }
  return pv;
}

function decodePropertySetList(r: ProtoReader): PropertySet[] {
  const out: PropertySet[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) {
      r.expect(field, wire, WIRE_LEN);
      out.push(decodePropertySet(r.sub(`${r.path}.propertyset[${out.length}]`)));
    } else r.skip(wire);
  }
  return out;
}

function decodePropertySet(r: ProtoReader): PropertySet {
  const ps: PropertySet = { keys: [], values: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) {
      r.expect(field, wire, WIRE_LEN);
      ps.keys.push(r.string());
    } else if (field === 2) {
      r.expect(field, wire, WIRE_LEN);
      ps.values.push(decodePropertyValue(r.sub(`${r.path}.values[${ps.values.length}]`)));
    } else r.skip(wire);
  }
  // tck-id-payloads-propertyset-keys-array-size / -values-array-size
  if (ps.keys.length !== ps.values.length)
    r.fail(`property set has ${ps.keys.length} keys and ${ps.values.length} values`);
  return ps;
}

function safeNumber(r: ProtoReader, what: string, v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) r.fail(`${what} ${v} exceeds 2^53 - 1`);
  return Number(v);
}

function decodeMetric(r: ProtoReader): Metric {
  const m: Metric = {};
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        r.expect(field, wire, WIRE_LEN);
        m.name = r.string();
        break;
      case 2:
        r.expect(field, wire, WIRE_VARINT);
        m.alias = safeNumber(r, 'alias', r.varintBig());
        break;
      case 3:
        r.expect(field, wire, WIRE_VARINT);
        m.timestamp = safeNumber(r, 'timestamp', r.varintBig());
        break;
      case 4:
        r.expect(field, wire, WIRE_VARINT);
        m.datatype = r.uint32();
        break;
      case 5:
        r.expect(field, wire, WIRE_VARINT);
        m.isHistorical = r.bool();
        break;
      case 6:
        r.expect(field, wire, WIRE_VARINT);
        m.isTransient = r.bool();
        break;
      case 7:
        r.expect(field, wire, WIRE_VARINT);
        m.isNull = r.bool();
        break;
      case 9:
        r.expect(field, wire, WIRE_LEN);
        m.properties = decodePropertySet(r.sub(`${r.path}.properties`));
        break;
      case 16:
        r.expect(field, wire, WIRE_LEN);
        m.raw = { kind: 'bytes', v: r.bytes() };
        break;
      case 17:
      case 18:
      case 19:
        r.expect(field, wire, WIRE_LEN);
        m.raw = { kind: field === 17 ? 'dataset' : field === 18 ? 'template' : 'extension', v: r.bytes() };
        break;
      default:
        if (field >= 10 && field <= 15) m.raw = decodeValueField(r, field, wire, 10);
        else r.skip(wire); // 8 metadata, extensions
    }
  }
  return m;
}

/**
 * Decodes a Sparkplug B payload. Throws SparkplugCodecError (GZ_SPARKPLUG_DECODE) naming the
 * field path and byte offset for a malformed payload; never anything else.
 */
export function decodePayload(buf: Uint8Array): Payload {
  const r = new ProtoReader(buf);
  const p: Payload = { metrics: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        r.expect(field, wire, WIRE_VARINT);
        p.timestamp = safeNumber(r, 'timestamp', r.varintBig());
        break;
      case 2:
        r.expect(field, wire, WIRE_LEN);
        p.metrics.push(decodeMetric(r.sub(`metrics[${p.metrics.length}]`)));
        break;
      case 3:
        r.expect(field, wire, WIRE_VARINT);
        p.seq = safeNumber(r, 'seq', r.varintBig());
        break;
      case 4:
        r.expect(field, wire, WIRE_LEN);
        p.uuid = r.string();
        break;
      case 5:
        r.expect(field, wire, WIRE_LEN);
        p.body = r.bytes();
        break;
      default:
        r.skip(wire);
    }
  }
  return p;
}

/**
 * The typed value of a scalar metric or property given its datatype, or an error text when the
 * wire value does not fit the type (a wrong `oneof` field, an integer out of range).
 */
export function typedValue(
  datatype: number,
  raw: RawValue | undefined,
): { ok: true; value: SparkplugScalar } | { ok: false; error: string } {
  const name = dataTypeName(datatype);
  if (raw === undefined) return { ok: false, error: `${name} metric has no value and is_null is not set` };
  const integer = (): bigint | undefined =>
    raw.kind === 'int' ? BigInt(raw.v) : raw.kind === 'long' ? raw.v : undefined;
  switch (datatype) {
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32: {
      const i = integer();
      if (i === undefined) break;
      const bits = BigInt(datatype === DataType.Int8 ? 8 : datatype === DataType.Int16 ? 16 : 32);
      const lo = -(1n << (bits - 1n));
      const hi = (1n << (bits - 1n)) - 1n;
      // two's complement in the type's own width (0xFB for Int8 -5), in 32 bits (Tahu:
      // 0xFFFFFFFB) or in 64 bits (sign-extended): all seen in the field
      let v: bigint | undefined;
      if (i < 1n << bits) v = BigInt.asIntN(Number(bits), i);
      else if (i < 1n << 32n && BigInt.asIntN(32, i) >= lo && BigInt.asIntN(32, i) <= hi)
        v = BigInt.asIntN(32, i);
      else if (BigInt.asIntN(64, i) >= lo && BigInt.asIntN(64, i) <= hi) v = BigInt.asIntN(64, i);
      if (v === undefined) return { ok: false, error: `${name} value ${i} out of range` };
      return { ok: true, value: Number(v) };
    }
    case DataType.UInt8:
    case DataType.UInt16:
    case DataType.UInt32: {
      const i = integer();
      if (i === undefined) break;
      const [, max] = intRange(datatype) as [number, number];
      if (i > BigInt(max)) return { ok: false, error: `${name} value ${i} out of range` };
      return { ok: true, value: Number(i) };
    }
    case DataType.Int64: {
      const i = integer();
      if (i === undefined) break;
      return { ok: true, value: BigInt.asIntN(64, i) };
    }
    case DataType.UInt64: {
      const i = integer();
      if (i === undefined) break;
      return { ok: true, value: i };
    }
    case DataType.DateTime: {
      const i = integer();
      if (i === undefined) break;
      if (i > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, error: `DateTime ${i} out of range` };
      return { ok: true, value: Number(i) };
    }
    case DataType.Float:
      if (raw.kind === 'float' || raw.kind === 'double') return { ok: true, value: raw.v };
      break;
    case DataType.Double:
      if (raw.kind === 'double' || raw.kind === 'float') return { ok: true, value: raw.v };
      break;
    case DataType.Boolean:
      if (raw.kind === 'boolean') return { ok: true, value: raw.v };
      break;
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      if (raw.kind === 'string') return { ok: true, value: raw.v };
      break;
    default:
      return { ok: false, error: `datatype ${name} is not a scalar` };
  }
  return { ok: false, error: `${name} metric carries a ${raw.kind} value` };
}

/** The properties of a set as a map of typed scalar values (non-scalar and null ones left out). */
export function propertyMap(ps: PropertySet | undefined): Map<string, SparkplugScalar> {
  const out = new Map<string, SparkplugScalar>();
  if (!ps) return out;
  for (let i = 0; i < ps.keys.length; i++) {
    const v = ps.values[i];
    if (!v || v.isNull || v.raw === undefined) continue;
    const t = typedValue(v.type ?? guessType(v.raw), v.raw);
    if (t.ok) out.set(ps.keys[i] as string, t.value);
  }
  return out;
}

function guessType(raw: RawValue): number {
  switch (raw.kind) {
    case 'int':
      return DataType.Int32;
    case 'long':
      return DataType.Int64;
    case 'float':
      return DataType.Float;
    case 'double':
      return DataType.Double;
    case 'boolean':
      return DataType.Boolean;
    case 'string':
      return DataType.String;
    default:
      return DataType.Unknown;
  }
}

// ---------------------------------------------------------------- what the encoder takes (payload-encode.ts)

/** A scalar metric or property to encode: the value is interpreted by `datatype`. */
export interface MetricIn {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  /** encode the value by `datatype` but leave the datatype field out (DATA messages: the birth gave it) */
  omitDatatype?: boolean;
  isHistorical?: boolean;
  isTransient?: boolean;
  /** null (or isNull) → is_null = true and no value (tck-id-operational-behavior-data-publish-nbirth-values) */
  value?: SparkplugScalar | null;
  properties?: Record<string, PropertyIn>;
}

export interface PropertyIn {
  type: number;
  value: SparkplugScalar | null;
}

export interface PayloadIn {
  timestamp?: number;
  metrics: MetricIn[];
  seq?: number;
  uuid?: string;
}

export { SparkplugCodecError };
