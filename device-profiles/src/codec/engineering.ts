/**
 * Raw value ⇄ engineering value (the `Value` in a Reading).
 *
 * toEngineering(point, raw), in this order:
 * 1. enum: when the point has an `enum` mapping and the raw is an integer (booleans count as
 *    0/1), the result is the label for `String(raw)`. A raw that has no label yields its decimal
 *    text (e.g. "7") so that an undocumented status code is still visible downstream.
 * 2. otherwise by the point's engineering `type`:
 *    - float / integer: `raw * scale + offset` (scale defaults to 1, offset to 0). A scale that
 *      is an exact reciprocal of an integer (0.1, 0.01, 0.001…) is applied as a division, so
 *      2301 × 0.1 gives 230.1, not 230.10000000000002. `integer` points are rounded half away
 *      from zero to stay integers (InfluxDB field types must not flip). Booleans count as 0/1;
 *      a string raw is parsed as a number (NaN when it is not one).
 *    - boolean: a boolean raw as is; a number is `raw ≠ 0` (scale/offset ignored).
 *    - string: a string raw as is; anything else its scaled decimal text.
 *    64-bit raws (bigint) become a JS number: exact up to 2^53 = 9 007 199 254 740 992, beyond
 *    that rounded to the nearest representable double (relative error < 1.2e-16 — an energy
 *    counter in Wh loses nothing visible before 9 PWh). Float NaN/±Infinity pass through
 *    unchanged; the driver sets the reading's quality.
 *
 * toRaw(point, value) is the inverse used by simulators and writes: enum label → key, then
 * `(value − offset) / scale`, rounded half away from zero for integer encodings and checked
 * against the encoding's range (`GZ_CODEC_RANGE`, never a silent wrap). For 64-bit encodings
 * the result is a bigint (exact only for |value| ≤ 2^53, see above).
 */
import type { ByteOrder, ModbusPoint, Point } from '../profile-schema.js';
import { isModbusPoint } from '../profile-schema.js';
import type { Value } from '../reading.js';
import { decodeRaw, isBitTable, type RawValue } from './decode.js';
import { checkInteger, describe, encodeRaw, isIntegerType } from './encode.js';
import { CodecError } from './errors.js';

/** Rounds half away from zero (Math.round rounds -2.5 to -2). */
export const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

/** The integer d when scale === 1/d exactly enough to divide instead of multiply, else 0. */
function reciprocal(scale: number): number {
  if (scale === 0 || Math.abs(scale) >= 1) return 0;
  const d = Math.round(1 / scale);
  return d !== 0 && Math.abs(1 / d - scale) <= Number.EPSILON * Math.abs(scale) ? d : 0;
}

function scaleForward(n: number, p: Pick<Point, 'scale' | 'offset'>): number {
  let v = n;
  const s = p.scale;
  if (s !== undefined && s !== 1) {
    const d = reciprocal(s);
    v = d ? n / d : n * s;
  }
  return p.offset ? v + p.offset : v;
}

function scaleInverse(v: number, p: Pick<Point, 'scale' | 'offset'>): number {
  const x = p.offset ? v - p.offset : v;
  const s = p.scale;
  if (s === undefined || s === 1) return x;
  const d = reciprocal(s);
  return d ? x * d : x / s;
}

const integerKey = (raw: RawValue): string | undefined => {
  if (typeof raw === 'boolean') return raw ? '1' : '0';
  if (typeof raw === 'bigint') return raw.toString();
  if (typeof raw === 'number' && Number.isInteger(raw)) return String(raw);
  return undefined;
};

const toNumber = (raw: RawValue): number =>
  typeof raw === 'boolean'
    ? raw
      ? 1
      : 0
    : typeof raw === 'string'
      ? Number(raw.trim() || Number.NaN)
      : Number(raw);

export function toEngineering(point: Point, raw: RawValue): Value {
  if (point.enum && typeof raw !== 'string') {
    const key = integerKey(raw);
    if (key !== undefined) return point.enum[key] ?? key;
  }
  switch (point.type) {
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') return /^(1|true|on)$/i.test(raw.trim());
      return toNumber(raw) !== 0;
    case 'string':
      return typeof raw === 'string' ? raw : String(scaleForward(toNumber(raw), point));
    case 'integer': {
      const v = scaleForward(toNumber(raw), point);
      return Number.isFinite(v) ? roundHalfAway(v) : v;
    }
    case 'float':
      return scaleForward(toNumber(raw), point);
  }
}

type RawKind = 'boolean' | 'integer' | 'bigint' | 'float' | 'string';

function rawKind(point: Point): RawKind {
  if (!isModbusPoint(point)) {
    return point.type === 'boolean' ? 'boolean' : point.type === 'string' ? 'string' : point.type;
  }
  const b = point.modbus;
  if (isBitTable(b.table) || b.type === 'bool' || b.type === 'bit') return 'boolean';
  if (b.type === 'int64' || b.type === 'uint64') return 'bigint';
  if (b.type === 'float32' || b.type === 'float64') return 'float';
  if (b.type === 'string') return 'string';
  return 'integer';
}

const name = (p: Point) => `point ${p.name}`;

export function toRaw(point: Point, value: Value): RawValue {
  if (value === null || value === undefined) {
    throw new CodecError('GZ_CODEC_TYPE', `${name(point)}: no value (null) to encode`);
  }
  const kind = rawKind(point);
  if (point.enum && typeof value === 'string' && kind !== 'string') {
    const key = Object.keys(point.enum).find((k) => point.enum?.[k] === value);
    const text = key ?? (/^-?\d+$/.test(value) ? value : undefined);
    if (text === undefined) {
      const labels = Object.values(point.enum).join(', ');
      throw new CodecError('GZ_CODEC_ENUM', `${name(point)}: "${value}" is not one of: ${labels}`);
    }
    return finishInteger(point, kind, BigInt(text));
  }
  switch (kind) {
    case 'string':
      return typeof value === 'string' ? value : String(value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (/^(1|true|on)$/i.test(value.trim())) return true;
      if (/^(0|false|off)$/i.test(value.trim())) return false;
      throw new CodecError('GZ_CODEC_TYPE', `${name(point)}: expected a boolean, got ${describe(value)}`);
    default: {
      const n =
        typeof value === 'boolean' ? (value ? 1 : 0) : typeof value === 'number' ? value : Number(value);
      if (typeof value === 'string' && (value.trim() === '' || Number.isNaN(n))) {
        throw new CodecError('GZ_CODEC_TYPE', `${name(point)}: expected a number, got ${describe(value)}`);
      }
      const raw = scaleInverse(n, point);
      if (kind === 'float') return raw;
      if (!Number.isFinite(raw)) {
        throw new CodecError('GZ_CODEC_RANGE', `${name(point)}: ${value} has no integer encoding`);
      }
      return finishInteger(point, kind, BigInt(roundHalfAway(raw)));
    }
  }
}

/** Range-checks an integer raw against the point's encoding and returns it in its raw JS type. */
function finishInteger(point: Point, kind: RawKind, v: bigint): RawValue {
  if (kind === 'boolean') return v !== 0n;
  if (kind === 'float') return Number(v);
  if (kind === 'string') return v.toString();
  if (isModbusPoint(point) && isIntegerType(point.modbus.type)) {
    try {
      checkInteger({ ...point.modbus, type: point.modbus.type }, v);
    } catch (e) {
      if (e instanceof CodecError) throw new CodecError(e.code, `${name(point)}: ${e.message}`, { cause: e });
      throw e;
    }
  }
  return kind === 'bigint' ? v : Number(v);
}

/** Words → engineering value: `toEngineering(point, decodeRaw(point.modbus, words, order))`. */
export function decodePoint(point: ModbusPoint, words: ArrayLike<number>, defaultOrder?: ByteOrder): Value {
  return toEngineering(point, decodeRaw(point.modbus, words, defaultOrder));
}

/** Engineering value → words: `encodeRaw(point.modbus, toRaw(point, value), order)`. */
export function encodePoint(point: ModbusPoint, value: Value, defaultOrder?: ByteOrder): number[] {
  try {
    return encodeRaw(point.modbus, toRaw(point, value), defaultOrder);
  } catch (e) {
    if (e instanceof CodecError && !e.message.startsWith('point ')) {
      throw new CodecError(e.code, `${name(point)}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
