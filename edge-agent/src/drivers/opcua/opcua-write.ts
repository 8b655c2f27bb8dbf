/**
 * OPC UA writes (commands, issue 15): the Variant a value is written with is built from the
 * node's own DataType attribute (read from the server, not guessed from the profile), so a
 * Double node gets a Double and a UInt16 node a UInt16 — a PLC does not convert, and a wrong
 * type is BadTypeMismatch (OPC UA Part 4, 5.10.4). Pure: DataType numbers are the built-in
 * type ids of OPC UA Part 6, 5.1.2 (= node-opcua's DataType enum values).
 *
 * Engineering → raw is the codec's toRaw (scale/offset inverted; integer points rounded half
 * away from zero). A raw for an integer node type that is not an integer (a scaled float
 * point on an Int16 node) is rounded half away from zero too, then range-checked for the
 * type: nothing wraps, nothing is clamped. A null is never sent (toRaw refuses it).
 */
import { type OpcuaPoint, type RawValue, toRaw, type Value } from '@ganzhi/device-profiles';

/** Built-in type ids (OPC UA Part 6, 5.1.2, Table 1) a write supports. */
export const WRITABLE_TYPES = {
  1: 'Boolean',
  2: 'SByte',
  3: 'Byte',
  4: 'Int16',
  5: 'UInt16',
  6: 'Int32',
  7: 'UInt32',
  8: 'Int64',
  9: 'UInt64',
  10: 'Float',
  11: 'Double',
  12: 'String',
} as const;
export type WritableTypeId = keyof typeof WRITABLE_TYPES;
export type WritableTypeName = (typeof WRITABLE_TYPES)[WritableTypeId];

/**
 * Namespace-0 subtypes of built-in types that servers commonly declare (OPC UA Part 3/5):
 * Duration (290) is a Double, UtcTime is a DateTime (not writable here), enumerations are
 * Int32 on the wire (Part 6, 5.2.2.16).
 */
const SUBTYPES: Record<number, WritableTypeId> = { 290: 11, 289: 7 /* Counter */, 29: 6 /* Enumeration */ };

/** The built-in type a node of DataType `ns=0;i=id` is written as, or undefined. */
export function builtinTypeOf(namespace: number, id: unknown): WritableTypeId | undefined {
  if (namespace !== 0 || typeof id !== 'number') return undefined;
  if (id in WRITABLE_TYPES) return id as WritableTypeId;
  return SUBTYPES[id];
}

const INT_LIMITS: Partial<Record<WritableTypeName, readonly [bigint, bigint]>> = {
  SByte: [-128n, 127n],
  Byte: [0n, 255n],
  Int16: [-32768n, 32767n],
  UInt16: [0n, 65535n],
  Int32: [-2147483648n, 2147483647n],
  UInt32: [0n, 4294967295n],
  Int64: [-(2n ** 63n), 2n ** 63n - 1n],
  UInt64: [0n, 2n ** 64n - 1n],
};

const FLOAT32_MAX = 3.4028234663852886e38;
const roundHalfAway = (x: number): number => Math.sign(x) * Math.round(Math.abs(x));

export type VariantPlan =
  | { ok: true; type: WritableTypeName; value: boolean | number | string | number[]; shown: Value }
  | { ok: false; reason: string };

/**
 * The value to put in a Variant of built-in type `typeId` for `value` written to `point`.
 * 64-bit integers are node-opcua's [high, low] pair.
 */
export function variantFor(point: OpcuaPoint, typeId: WritableTypeId, value: Value): VariantPlan {
  const type = WRITABLE_TYPES[typeId];
  let raw: RawValue;
  try {
    raw = toRaw(point, value);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const where = `point ${point.name} (${type} node)`;
  if (type === 'Boolean') {
    if (typeof raw === 'boolean') return { ok: true, type, value: raw, shown: raw };
    const n = Number(raw);
    if (n === 0 || n === 1) return { ok: true, type, value: n === 1, shown: n === 1 };
    return { ok: false, reason: `${where}: ${String(value)} is not a boolean` };
  }
  if (type === 'String') return { ok: true, type, value: String(raw), shown: String(raw) };
  const n = typeof raw === 'boolean' ? (raw ? 1 : 0) : typeof raw === 'string' ? Number(raw) : Number(raw);
  if (typeof raw === 'string' && (raw.trim() === '' || Number.isNaN(n))) {
    return { ok: false, reason: `${where}: "${raw}" is not a number` };
  }
  if (type === 'Float' || type === 'Double') {
    if (!Number.isFinite(n)) return { ok: false, reason: `${where}: ${n} is not a finite number` };
    if (type === 'Float' && Math.abs(n) > FLOAT32_MAX) {
      return { ok: false, reason: `${where}: ${n} is beyond ±${FLOAT32_MAX}` };
    }
    return { ok: true, type, value: n, shown: n };
  }
  const limits = INT_LIMITS[type]!;
  let v: bigint;
  if (typeof raw === 'bigint') v = raw;
  else if (Number.isFinite(n)) v = BigInt(roundHalfAway(n));
  else return { ok: false, reason: `${where}: ${String(value)} has no integer encoding` };
  if (v < limits[0] || v > limits[1]) {
    return { ok: false, reason: `${where}: ${v} is outside ${limits[0]}..${limits[1]}` };
  }
  if (type === 'Int64' || type === 'UInt64') {
    const u = BigInt.asUintN(64, v);
    return { ok: true, type, value: [Number(u >> 32n), Number(u & 0xffffffffn)], shown: Number(v) };
  }
  return { ok: true, type, value: Number(v), shown: Number(v) };
}

/**
 * Whether the engineering value read back matches the one requested, within the point's
 * resolution: Float nodes to float32 precision (relative 2^-23), Double relative 1e-12,
 * integer nodes half a raw step (|scale|/2, 0.5 without scale: the write rounded to the
 * nearest step); booleans and strings equal.
 */
export function readbackMatches(
  point: OpcuaPoint,
  type: WritableTypeName,
  requested: Value,
  read: Value,
): boolean {
  if (typeof read === 'number') {
    const want = typeof requested === 'number' ? requested : Number(requested);
    if (!Number.isFinite(want)) return false;
    const tol =
      type === 'Float'
        ? Math.abs(want) * 2 ** -23 + (point.scale !== undefined ? Math.abs(point.scale) * 2 ** -23 : 0)
        : type === 'Double'
          ? Math.abs(want) * 1e-12
          : (Math.abs(point.scale ?? 1) / 2) * (1 + 1e-9);
    return Math.abs(read - want) <= tol;
  }
  if (typeof read === 'boolean') {
    const want =
      typeof requested === 'boolean'
        ? requested
        : typeof requested === 'number'
          ? requested !== 0
          : /^(1|true|on)$/i.test(String(requested).trim());
    return read === want;
  }
  return String(read) === String(requested);
}
