/**
 * Sparkplug B data types (Sparkplug 3.0, §6.4.16 "Data Types", the `DataType` enum of
 * `sparkplug_b.proto`) and the metric value each one carries.
 */

export const DataType = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
} as const;
export type DataTypeName = keyof typeof DataType;

const NAMES = new Map<number, DataTypeName>(Object.entries(DataType).map(([k, v]) => [v, k as DataTypeName]));
/** Array types (22..34) exist in 3.0; they are carried as bytes and not interpreted here. */
const ARRAY_NAMES = [
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Int64Array',
  'UInt8Array',
  'UInt16Array',
  'UInt32Array',
  'UInt64Array',
  'FloatArray',
  'DoubleArray',
  'BooleanArray',
  'StringArray',
  'DateTimeArray',
];

export function dataTypeName(t: number): string {
  return NAMES.get(t) ?? ARRAY_NAMES[t - 22] ?? `DataType(${t})`;
}

/** The scalar types a metric value is mapped from (everything else is not stored by the hub). */
export function isScalarType(t: number): boolean {
  return t >= DataType.Int8 && t <= DataType.UUID;
}

/** The JS value of a scalar metric: 64-bit integers as bigint, DateTime as ms (number). */
export type SparkplugScalar = number | bigint | boolean | string;

const RANGES: Record<number, [number, number]> = {
  [DataType.Int8]: [-128, 127],
  [DataType.Int16]: [-32768, 32767],
  [DataType.Int32]: [-2147483648, 2147483647],
  [DataType.UInt8]: [0, 255],
  [DataType.UInt16]: [0, 65535],
  [DataType.UInt32]: [0, 4294967295],
};

/** The inclusive range of a fixed-width integer type, or undefined for other types. */
export function intRange(t: number): [number, number] | undefined {
  return RANGES[t];
}
