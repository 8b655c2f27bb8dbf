/**
 * The Sparkplug B payload encoder (`sparkplug_b.proto`, `message Payload`; Sparkplug 3.0 §6.4),
 * with the integer encodings of Eclipse Tahu described in payload.ts.
 */
import { DataType, dataTypeName, intRange, type SparkplugScalar } from './datatypes.js';
import type { MetricIn, PayloadIn, PropertyIn } from './payload.js';
import {
  ProtoWriter,
  SparkplugCodecError,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
} from './wire.js';

function encodeError(where: string, what: string): never {
  throw new SparkplugCodecError('GZ_SPARKPLUG_ENCODE', `${where}: ${what}`);
}

/** Writes the `oneof value` of a metric (base 10) or property value (base 3). */
function writeValue(w: ProtoWriter, base: number, datatype: number, v: SparkplugScalar, where: string): void {
  const name = dataTypeName(datatype);
  const int = (): bigint => {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    return encodeError(where, `${name} needs an integer, got ${String(v)}`);
  };
  switch (datatype) {
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32:
    case DataType.UInt8:
    case DataType.UInt16: {
      const i = int();
      const [min, max] = intRange(datatype) as [number, number];
      if (i < BigInt(min) || i > BigInt(max)) encodeError(where, `${name} value ${i} out of range`);
      w.tag(base, WIRE_VARINT);
      w.varint(BigInt.asUintN(32, i));
      return;
    }
    case DataType.UInt32: {
      const i = int();
      if (i < 0n || i > 0xffffffffn) encodeError(where, `UInt32 value ${i} out of range`);
      w.tag(base + 1, WIRE_VARINT); // long_value, as Tahu writes and reads it
      w.varint(i);
      return;
    }
    case DataType.Int64: {
      const i = int();
      if (i < -(1n << 63n) || i >= 1n << 63n) encodeError(where, `Int64 value ${i} out of range`);
      w.tag(base + 1, WIRE_VARINT);
      w.varint(BigInt.asUintN(64, i));
      return;
    }
    case DataType.UInt64:
    case DataType.DateTime: {
      const i = int();
      if (i < 0n || i >= 1n << 64n) encodeError(where, `${name} value ${i} out of range`);
      w.tag(base + 1, WIRE_VARINT);
      w.varint(i);
      return;
    }
    case DataType.Float:
    case DataType.Double:
      if (typeof v !== 'number') encodeError(where, `${name} needs a number, got ${typeof v}`);
      if (datatype === DataType.Float) {
        w.tag(base + 2, WIRE_FIXED32);
        w.float(v);
      } else {
        w.tag(base + 3, WIRE_FIXED64);
        w.double(v);
      }
      return;
    case DataType.Boolean:
      if (typeof v !== 'boolean') encodeError(where, `Boolean needs a boolean, got ${typeof v}`);
      w.tag(base + 4, WIRE_VARINT);
      w.varint(v ? 1 : 0);
      return;
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      if (typeof v !== 'string') encodeError(where, `${name} needs a string, got ${typeof v}`);
      w.tag(base + 5, WIRE_LEN);
      w.string(v);
      return;
    default:
      encodeError(where, `datatype ${name} cannot be encoded from a scalar`);
  }
}

function writeProperties(w: ProtoWriter, props: Record<string, PropertyIn>, where: string): void {
  const keys = Object.keys(props);
  for (const k of keys) {
    w.tag(1, WIRE_LEN);
    w.string(k);
  }
  for (const k of keys) {
    const p = props[k] as PropertyIn;
    w.message(2, (pw) => {
      pw.tag(1, WIRE_VARINT);
      pw.varint(p.type);
      if (p.value === null) {
        pw.tag(2, WIRE_VARINT);
        pw.varint(1);
      } else writeValue(pw, 3, p.type, p.value, `${where}.properties.${k}`);
    });
  }
}

function writeMetric(w: ProtoWriter, m: MetricIn, where: string): void {
  if (m.name !== undefined) {
    w.tag(1, WIRE_LEN);
    w.string(m.name);
  }
  if (m.alias !== undefined) {
    w.tag(2, WIRE_VARINT);
    w.varint(m.alias);
  }
  if (m.timestamp !== undefined) {
    w.tag(3, WIRE_VARINT);
    w.varint(m.timestamp);
  }
  if (m.datatype !== undefined && !m.omitDatatype) {
    w.tag(4, WIRE_VARINT);
    w.varint(m.datatype);
  }
  if (m.isHistorical) {
    w.tag(5, WIRE_VARINT);
    w.varint(1);
  }
  if (m.isTransient) {
    w.tag(6, WIRE_VARINT);
    w.varint(1);
  }
  if (m.value === null || m.value === undefined) {
    w.tag(7, WIRE_VARINT);
    w.varint(1);
  }
  if (m.properties && Object.keys(m.properties).length > 0) {
    const props = m.properties;
    w.message(9, (pw) => writeProperties(pw, props, where));
  }
  if (m.value !== null && m.value !== undefined) {
    if (m.datatype === undefined) encodeError(where, 'a value needs the datatype to encode it');
    writeValue(w, 10, m.datatype, m.value, where);
  }
}

/**
 * Encodes a payload. Throws SparkplugCodecError (GZ_SPARKPLUG_ENCODE) naming the metric when a
 * value does not fit its datatype.
 */
export function encodePayload(p: PayloadIn): Uint8Array {
  const w = new ProtoWriter();
  if (p.timestamp !== undefined) {
    w.tag(1, WIRE_VARINT);
    w.varint(p.timestamp);
  }
  p.metrics.forEach((m, i) => {
    w.message(2, (mw) => writeMetric(mw, m, `metrics[${i}]${m.name !== undefined ? ` (${m.name})` : ''}`));
  });
  if (p.seq !== undefined) {
    w.tag(3, WIRE_VARINT);
    w.varint(p.seq);
  }
  if (p.uuid !== undefined) {
    w.tag(4, WIRE_LEN);
    w.string(p.uuid);
  }
  return w.finish();
}
