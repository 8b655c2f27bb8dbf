/**
 * OPC UA data type of a profile point, and the conversion of an engineering value to the raw
 * value a variable of that type carries (the inverse of the reader's `toEngineering`). Pure:
 * node-opcua's DataType numbers are the spec's built-in type ids, repeated here so nothing
 * loads node-opcua before a server starts.
 */
import { type OpcuaDataType, type OpcuaPoint, toRaw, type Value } from '@ganzhi/device-profiles';

/** OPC UA Part 6 built-in type ids (= node-opcua DataType enum values) */
export const BUILTIN_TYPE_ID: Record<OpcuaDataType, number> = {
  Boolean: 1,
  SByte: 2,
  Byte: 3,
  Int16: 4,
  UInt16: 5,
  Int32: 6,
  UInt32: 7,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
};

const FROM_POINT_TYPE = { float: 'Double', integer: 'Int32', boolean: 'Boolean', string: 'String' } as const;

/** The binding's dataType, else float→Double, integer→Int32, boolean→Boolean, string→String. */
export function opcuaDataTypeOf(point: OpcuaPoint): OpcuaDataType {
  return point.opcua.dataType ?? FROM_POINT_TYPE[point.type];
}

export function isNumericType(t: OpcuaDataType): boolean {
  return t !== 'Boolean' && t !== 'String';
}

const INTEGER_LIMITS: Partial<Record<OpcuaDataType, readonly [number, number]>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
};

/** Rounds half away from zero, as the shared codec's toRaw does (Math.round(-2.5) is -2). */
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

/**
 * The value a variable of type `t` carries for `v`, which is already in raw units: integers
 * rounded half away from zero and clamped to the type, Float rounded to float32 (what the
 * wire carries), booleans from 0/1 or "true"/"false", strings from anything. `null` stays
 * null (served as a Null variant). Returns undefined when no sensible conversion exists
 * (e.g. "abc" for a Double): the caller serves that as a Bad status.
 */
export function coerceValue(t: OpcuaDataType, v: Value): number | boolean | string | null | undefined {
  if (v === null) return null;
  switch (t) {
    case 'Boolean':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      return undefined;
    case 'String':
      return String(v);
    case 'Float':
    case 'Double': {
      const n = Number(v);
      if (typeof v === 'string' && (v.trim() === '' || Number.isNaN(n))) return undefined;
      return t === 'Float' ? Math.fround(n) : n;
    }
    default: {
      const n = Number(v);
      if (!Number.isFinite(n) || (typeof v === 'string' && v.trim() === '')) return undefined;
      const [lo, hi] = INTEGER_LIMITS[t] ?? [-Infinity, Infinity];
      // + 0: an integer on the wire has no sign of zero (-0.3 → 0, not -0)
      return Math.min(hi, Math.max(lo, roundHalfAway(n))) + 0;
    }
  }
}

const isScaled = (p: OpcuaPoint): boolean => (p.scale !== undefined && p.scale !== 1) || !!p.offset;

/**
 * The raw value served for a point whose ENGINEERING value is `v` — what a PLC exposes for a
 * profile that says `engineering = raw × scale + offset` (or `enum: {raw: label}`):
 * - enum points: a label becomes its integer key; integer text ("7", a code without a label)
 *   is served as that number; any other text has no raw (undefined).
 * - scaled numeric points: `(v − offset) / scale` through the shared codec's `toRaw` (so a
 *   scale of 0.1 multiplies by 10 exactly), then `coerceValue` (rounded/clamped integers,
 *   float32 for Float).
 * - everything else: `coerceValue(t, v)`.
 * Enum points ignore scale/offset, as the reader does for a raw that is an integer.
 */
export function servedValue(
  point: OpcuaPoint,
  t: OpcuaDataType,
  v: Value,
): number | boolean | string | null | undefined {
  if (v === null || !isNumericType(t)) return coerceValue(t, v);
  if (point.enum) {
    if (typeof v !== 'string') return coerceValue(t, v);
    const key = Object.keys(point.enum).find((k) => point.enum?.[k] === v);
    const text = key ?? v.trim();
    return /^-?\d+$/.test(text) ? coerceValue(t, Number(text)) : undefined;
  }
  if (!isScaled(point)) return coerceValue(t, v);
  const n = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v.trim() || Number.NaN);
  if (Number.isNaN(n)) return undefined;
  // a float-typed view of the point: toRaw then only inverts offset and scale (no rounding)
  return coerceValue(t, toRaw({ ...point, type: 'float' }, n) as number);
}

/**
 * The point's `range` in served (raw) units, for the EURange of its AnalogItem: OPC UA
 * Part 8 says EURange bounds the variable's Value, which is the raw value for a scaled point
 * (range 0..500 m3/h at scale 0.1 → EURange 0..5000). Not rounded; low ≤ high also for a
 * negative scale. undefined without a range.
 */
export function servedRange(point: OpcuaPoint): { low: number; high: number } | undefined {
  const r = point.range;
  if (!r) return undefined;
  if (point.enum || !isScaled(point)) return { low: r.min, high: r.max };
  const view = { ...point, type: 'float' as const };
  const a = toRaw(view, r.min) as number;
  const b = toRaw(view, r.max) as number;
  return { low: Math.min(a, b) + 0, high: Math.max(a, b) + 0 };
}
