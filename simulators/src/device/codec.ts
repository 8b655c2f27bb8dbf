/**
 * The shared codec (@ganzhi/device-profiles) as the simulator uses it: engineering value →
 * registers, and the value a correct reader decodes back from those registers (the ground
 * truth). Values past what the register can hold are clamped first, as a real transmitter
 * saturates at the end of its range.
 */
import {
  type ByteOrder,
  decodeRaw,
  encodeRaw,
  INTEGER_RANGES,
  type ModbusPoint,
  type RawValue,
  toEngineering,
  toRaw,
  type Value,
} from '@ganzhi/device-profiles';

export {
  decodePoint,
  decodeRaw,
  encodePoint,
  encodeRaw,
  type RawValue,
  registerCount,
  setBit,
  toEngineering,
  toRaw,
} from '@ganzhi/device-profiles';

const FLOAT32_MAX = 3.4028234663852886e38;

/** Engineering value clamped to what the point's register encoding can carry. */
export function clampToRegister(point: ModbusPoint, v: Value): Value {
  const b = point.modbus;
  if (typeof v === 'string') {
    if (b.type === 'string')
      return [...v.slice(0, 2 * (b.length ?? 1))].map((c) => (c.charCodeAt(0) > 0xff ? '?' : c)).join('');
    return v;
  }
  if (typeof v !== 'number') return v;
  if (!Number.isFinite(v)) return b.type === 'float32' || b.type === 'float64' ? v : 0;
  const scale = point.scale ?? 1;
  const off = point.offset ?? 0;
  let lo: number;
  let hi: number;
  if (b.type in INTEGER_RANGES) {
    const r = INTEGER_RANGES[b.type as keyof typeof INTEGER_RANGES];
    lo = Number(r[0]);
    hi = Number(r[1]);
    if (b.type === 'int64' || b.type === 'uint64') {
      lo = Math.max(lo, Number.MIN_SAFE_INTEGER);
      hi = Math.min(hi, Number.MAX_SAFE_INTEGER);
    }
  } else if (b.type === 'float32') {
    lo = -FLOAT32_MAX;
    hi = FLOAT32_MAX;
  } else {
    return v;
  }
  const a = lo * scale + off;
  const z = hi * scale + off;
  return Math.min(Math.max(a, z), Math.max(Math.min(a, z), v));
}

export interface Encoded {
  words: number[];
  raw: RawValue;
  /** what a correct reader decodes from `words` */
  value: Value;
}

/** Encodes a point's value into its registers (0/1 per bit for coils and discrete inputs). */
export function encodeModbusValue(point: ModbusPoint, v: Value, order?: ByteOrder): Encoded {
  const raw = toRaw(point, clampToRegister(point, v));
  const words = encodeRaw(point.modbus, raw, order);
  return { words, raw, value: toEngineering(point, decodeRaw(point.modbus, words, order)) };
}
