/**
 * Quantisation: the value a correct reader decodes from what the simulator sends. The
 * ground truth is always the quantised value, never the raw signal. Every protocol serves
 * RAW values as the profile describes them (engineering = raw × scale + offset, enum key →
 * label) and the truth is decoded back from that raw with the shared codec.
 */
import {
  CodecError,
  isCjt188Point,
  isDlt645Point,
  isHj212Point,
  isModbusPoint,
  isOpcuaPoint,
  type OpcuaDataType,
  type OpcuaPoint,
  type Point,
  type SerialPoint,
  type Value,
} from '@ganzhi/device-profiles';
import { quantiseCjt188 } from '../cjt188/values.js';
import { quantiseDlt645 } from '../dlt645/values.js';
import { quantiseHj212 } from '../hj212/values.js';
import { opcuaDataTypeOf, servedValue } from '../opcua/data-types.js';
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

/**
 * At most this many decode → re-serve rounds to find a value that serves as itself. Realistic
 * scales (0.1, 0.01, 10, …) settle at once; of 800 000 random Double scale/offset/value
 * triples, 91 needed 1–8 rounds and none more.
 */
const SETTLE_ROUNDS = 16;

/** What a reader decodes from the raw the OPC UA front-end serves for engineering value v. */
function decodeServed(point: OpcuaPoint, t: OpcuaDataType, v: Value): Value {
  const raw = servedValue(point, t, v);
  if (raw === undefined) {
    const code = point.enum && typeof v === 'string' ? 'GZ_CODEC_ENUM' : 'GZ_CODEC_TYPE';
    throw new CodecError(code, `point ${point.name}: ${JSON.stringify(v)} has no ${t} value`);
  }
  return raw === null ? null : toEngineering(point, raw);
}

/**
 * OPC UA: the served raw is `servedValue(point, t, v)` (offset and scale inverted, rounded and
 * clamped to an integer type, float32 for Float, enum label → key) and the truth is
 * `toEngineering(point, raw)`, exactly what the agent's driver does with what it reads.
 * The value feed only sees that truth and serves `servedValue(truth)` again, so the truth
 * is settled until serving it decodes to itself (with an odd scale and a large offset the
 * floating error of the inverse can move a Double by an ulp; rounding grids never move).
 * A sample source other than SimDevice is served the same way: its value is the truth.
 */
function quantiseOpcua(point: OpcuaPoint, v: Value): Value {
  const t = opcuaDataTypeOf(point);
  let value = decodeServed(point, t, v);
  for (let i = 0; i < SETTLE_ROUNDS && typeof value === 'number' && !Number.isNaN(value); i++) {
    const again = decodeServed(point, t, value);
    if (again === value) break;
    value = again;
  }
  return value;
}

/** The text a serial device prints for the point (angles: [ddmm.mmmm, hemisphere]). */
export function serialText(point: SerialPoint, v: Value): string | [string, string] {
  const sel = point.serial.select;
  if (sel.kind === 'nmea' && (sel.decode === 'latitude' || sel.decode === 'longitude')) {
    return formatNmeaAngle(typeof v === 'number' ? v : 0, sel.decode);
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  // an enum is printed as its code (NMEA GGA quality `1`), never its label: that is what the
  // device sends and what a reader maps back to the label
  if (point.enum && typeof v === 'string') {
    const code = Object.keys(point.enum).find((k) => point.enum?.[k] === v);
    if (code !== undefined) return code;
  }
  if (typeof v !== 'number' && !point.enum) return String(v);
  const raw = toRaw(point, v);
  return typeof raw === 'number' ? raw.toFixed(serialDecimals(point)) : String(raw);
}

export function quantise(point: Point, v: Value): Value {
  if (v === null) return null;
  if (isModbusPoint(point)) return toEngineering(point, toRaw(point, v));
  if (isOpcuaPoint(point)) return quantiseOpcua(point, v);
  if (isDlt645Point(point)) return quantiseDlt645(point, Number(v));
  if (isCjt188Point(point)) return quantiseCjt188(point, v);
  if (isHj212Point(point)) return quantiseHj212(point, Number(v));
  const text = serialText(point, v);
  if (Array.isArray(text)) return parseNmeaAngle(text[0], text[1]);
  const n = Number(text);
  // an enum's code decodes to its label, whatever the point's type (the agent's frame parser does so)
  const numeric =
    (point.enum !== undefined || (point.type !== 'string' && point.type !== 'boolean')) &&
    text !== '' &&
    Number.isFinite(n);
  return toEngineering(point, numeric ? n : text);
}
