/**
 * Quantisation: the value a correct reader decodes from what the simulator sends. The
 * ground truth is always the quantised value, never the raw signal.
 */
import {
  isModbusPoint,
  isOpcuaPoint,
  type OpcuaDataType,
  type Point,
  type SerialPoint,
  type Value,
} from '@ganzhi/device-profiles';
import { formatNmeaAngle, parseNmeaAngle, serialDecimals } from '../serial/format.js';
import type { SignalValue } from '../signals/signal.js';
import { toEngineering, toRaw } from './codec.js';

/** Coerces a signal's output to the point's engineering type. */
export function coerce(point: Point, v: SignalValue): Value {
  switch (point.type) {
    case 'boolean':
      return typeof v === 'boolean' ? v : typeof v === 'number' ? v >= 0.5 : v === 'true' || v === '1';
    case 'string':
      return String(v);
    case 'integer':
    case 'float': {
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      // enum labels stay strings; toRaw maps them
      if (point.enum && Object.values(point.enum).includes(v)) return v;
      const n = Number(v);
      return Number.isFinite(n) ? n : 0;
    }
  }
}

export function defaultOpcuaDataType(point: Point): OpcuaDataType {
  switch (point.type) {
    case 'boolean':
      return 'Boolean';
    case 'string':
      return 'String';
    case 'integer':
      return 'Int32';
    case 'float':
      return 'Double';
  }
}

const INT_RANGES: Partial<Record<OpcuaDataType, [number, number]>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
};

function quantiseOpcua(dataType: OpcuaDataType, v: Value): Value {
  if (dataType === 'Boolean') return Boolean(v);
  if (dataType === 'String') return String(v);
  const n = typeof v === 'number' ? v : Number(v) || 0;
  if (dataType === 'Float') return Math.fround(n);
  if (dataType === 'Double') return n;
  const r = INT_RANGES[dataType]!;
  return Math.min(r[1], Math.max(r[0], Math.round(n)));
}

/** The text a serial device prints for the point (angles: [ddmm.mmmm, hemisphere]). */
export function serialText(point: SerialPoint, v: Value): string | [string, string] {
  const sel = point.serial.select;
  if (sel.kind === 'nmea' && (sel.decode === 'latitude' || sel.decode === 'longitude')) {
    return formatNmeaAngle(typeof v === 'number' ? v : 0, sel.decode);
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v !== 'number' && !point.enum) return String(v);
  const raw = toRaw(point, v);
  return typeof raw === 'number' ? raw.toFixed(serialDecimals(point)) : String(raw);
}

export function quantise(point: Point, v: Value): Value {
  if (v === null) return null;
  if (isModbusPoint(point)) return toEngineering(point, toRaw(point, v));
  if (isOpcuaPoint(point)) return quantiseOpcua(point.opcua.dataType ?? defaultOpcuaDataType(point), v);
  const text = serialText(point, v);
  if (Array.isArray(text)) return parseNmeaAngle(text[0], text[1]);
  const n = Number(text);
  const numeric = point.type !== 'string' && point.type !== 'boolean' && text !== '' && Number.isFinite(n);
  return toEngineering(point, numeric ? n : text);
}
