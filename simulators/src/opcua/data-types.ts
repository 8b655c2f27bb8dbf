/**
 * OPC UA data type of a profile point, and the conversion of an engineering value to what
 * a variable of that type carries. Pure: node-opcua's DataType numbers are the spec's
 * built-in type ids, repeated here so nothing loads node-opcua before a server starts.
 */
import type { OpcuaDataType, OpcuaPoint, Value } from '@ganzhi/device-profiles';

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

/**
 * The value a variable of type `t` carries for engineering value `v`: integers rounded and
 * clamped to the type, booleans from 0/1 or "true"/"false", strings from anything. `null`
 * stays null (served as a Null variant). Returns undefined when no sensible conversion
 * exists (e.g. "abc" for a Double): the caller serves that as a Bad status.
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
      return typeof v === 'string' && (v.trim() === '' || Number.isNaN(n)) ? undefined : n;
    }
    default: {
      const n = Number(v);
      if (!Number.isFinite(n) || (typeof v === 'string' && v.trim() === '')) return undefined;
      const [lo, hi] = INTEGER_LIMITS[t] ?? [-Infinity, Infinity];
      return Math.min(hi, Math.max(lo, Math.round(n)));
    }
  }
}
