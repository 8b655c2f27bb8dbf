/**
 * Raw value → register words: the exact inverse of decode.ts, used by simulators (to serve a
 * profile) and by the agent (to write read-write points).
 *
 * Nothing wraps silently: an integer outside the type's range, a float32 beyond ±3.4028235e38,
 * a string longer than its registers or with a character above U+00FF throws `GZ_CODEC_RANGE`;
 * a value of the wrong JS type (a fraction for an integer encoding, text for a number) throws
 * `GZ_CODEC_TYPE`. Rounding of engineering values happens one level up, in toRaw.
 * NaN and ±Infinity are legal float32/float64 raws (a simulator may serve a NaN on purpose).
 */
import type { ByteOrder, ModbusBinding, ModbusType } from '../profile-schema.js';
import { bitIndex, isBitTable, type RawValue, resolveOrder } from './decode.js';
import { CodecError } from './errors.js';
import { registerCount } from './register-count.js';
import { bytesToWords, orderSwitches, swapBytes16 } from './words.js';

const scratch = new Uint8Array(2 * 125);
const view = new DataView(scratch.buffer);

const FLOAT32_MAX = 3.4028234663852886e38;

/** Inclusive range of each integer encoding. */
export const INTEGER_RANGES = {
  int16: [-32768n, 32767n],
  uint16: [0n, 65535n],
  int32: [-2147483648n, 2147483647n],
  uint32: [0n, 4294967295n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
} as const satisfies Partial<Record<ModbusType, readonly [bigint, bigint]>>;
export type IntegerType = keyof typeof INTEGER_RANGES;

export const isIntegerType = (t: ModbusType): t is IntegerType => t in INTEGER_RANGES;

const where = (b: ModbusBinding) => `${b.type} at ${b.table} ${b.address}`;

/** Checks that `raw` is an integer inside the range of `type`; returns it as a bigint. */
export function checkInteger(b: ModbusBinding & { type: IntegerType }, raw: RawValue): bigint {
  let v: bigint;
  if (typeof raw === 'bigint') v = raw;
  else if (typeof raw === 'number' && Number.isInteger(raw)) v = BigInt(raw);
  else if (typeof raw === 'number' && !Number.isFinite(raw)) {
    throw new CodecError('GZ_CODEC_RANGE', `${where(b)}: ${raw} is outside ${rangeText(b.type)}`);
  } else throw new CodecError('GZ_CODEC_TYPE', `${where(b)}: expected an integer, got ${describe(raw)}`);
  const [min, max] = INTEGER_RANGES[b.type];
  if (v < min || v > max) {
    throw new CodecError('GZ_CODEC_RANGE', `${where(b)}: ${v} is outside ${rangeText(b.type)}`);
  }
  return v;
}

const rangeText = (t: IntegerType) => `${INTEGER_RANGES[t][0]}..${INTEGER_RANGES[t][1]}`;

export function describe(raw: unknown): string {
  if (typeof raw === 'string') return `string of ${raw.length} chars`;
  if (raw === null) return 'null';
  return `${typeof raw} ${String(raw)}`;
}

function toBoolean(b: ModbusBinding, raw: RawValue): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number' || typeof raw === 'bigint') {
    const n = Number(raw);
    if (n === 0 || n === 1) return n === 1;
    throw new CodecError('GZ_CODEC_RANGE', `${where(b)}: ${raw} is not 0 or 1`);
  }
  throw new CodecError('GZ_CODEC_TYPE', `${where(b)}: expected a boolean, got ${describe(raw)}`);
}

function toFloat(b: ModbusBinding, raw: RawValue): number {
  if (typeof raw !== 'number') {
    throw new CodecError('GZ_CODEC_TYPE', `${where(b)}: expected a number, got ${describe(raw)}`);
  }
  return raw;
}

export function encodeRaw(b: ModbusBinding, raw: RawValue, defaultOrder?: ByteOrder): number[] {
  if (isBitTable(b.table)) return [toBoolean(b, raw) ? 1 : 0];
  const sw = orderSwitches(resolveOrder(b, defaultOrder));
  switch (b.type) {
    case 'bool':
      return [toBoolean(b, raw) ? 1 : 0];
    case 'bit':
      return [toBoolean(b, raw) ? 1 << bitIndex(b) : 0];
    case 'int16':
    case 'uint16': {
      const w = Number(checkInteger({ ...b, type: b.type }, raw)) & 0xffff;
      return [sw.byteSwap ? swapBytes16(w) : w];
    }
    case 'int32':
      view.setInt32(0, Number(checkInteger({ ...b, type: b.type }, raw)));
      return bytesToWords(scratch, 2, sw);
    case 'uint32':
      view.setUint32(0, Number(checkInteger({ ...b, type: b.type }, raw)));
      return bytesToWords(scratch, 2, sw);
    case 'int64':
      view.setBigInt64(0, checkInteger({ ...b, type: b.type }, raw));
      return bytesToWords(scratch, 4, sw);
    case 'uint64':
      view.setBigUint64(0, checkInteger({ ...b, type: b.type }, raw));
      return bytesToWords(scratch, 4, sw);
    case 'float32': {
      const v = toFloat(b, raw);
      if (Number.isFinite(v) && Math.abs(v) > FLOAT32_MAX) {
        throw new CodecError('GZ_CODEC_RANGE', `${where(b)}: ${v} is beyond ±${FLOAT32_MAX}`);
      }
      view.setFloat32(0, v);
      return bytesToWords(scratch, 2, sw);
    }
    case 'float64':
      view.setFloat64(0, toFloat(b, raw));
      return bytesToWords(scratch, 4, sw);
    case 'string':
      return encodeString(b, raw, sw.byteSwap);
  }
}

function encodeString(b: ModbusBinding, raw: RawValue, byteSwap: boolean): number[] {
  if (typeof raw !== 'string') {
    throw new CodecError('GZ_CODEC_TYPE', `${where(b)}: expected a string, got ${describe(raw)}`);
  }
  const n = registerCount(b);
  if (raw.length > 2 * n) {
    throw new CodecError(
      'GZ_CODEC_RANGE',
      `${where(b)}: ${raw.length} characters do not fit ${n} register(s) (${2 * n} max)`,
    );
  }
  scratch.fill(0, 0, 2 * n);
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c > 0xff) {
      throw new CodecError(
        'GZ_CODEC_RANGE',
        `${where(b)}: character ${i} (U+${c.toString(16).toUpperCase().padStart(4, '0')}) is not Latin-1`,
      );
    }
    scratch[i] = c;
  }
  return bytesToWords(scratch, n, { byteSwap, wordSwap: false });
}

/**
 * Sets or clears bit `bit` (0 = LSB) of a 16-bit register value, for simulators serving several
 * `bit` points that share one register. Returns the new register value.
 */
export function setBit(word: number, bit: number, on: boolean): number {
  if (!Number.isInteger(bit) || bit < 0 || bit > 15) {
    throw new CodecError('GZ_CODEC_BINDING', `bit index must be 0..15, got ${bit}`);
  }
  const mask = 1 << bit;
  return (on ? word | mask : word & ~mask) & 0xffff;
}
