/**
 * Register words → raw value. The raw value is what the device stores, before scale, offset
 * or enum mapping (see engineering.ts):
 *
 * | binding type                     | raw JS type | notes                                         |
 * |----------------------------------|-------------|-----------------------------------------------|
 * | any type in a coil/discrete table| boolean     | one 0/1 (or false/true) per address            |
 * | bool (register)                  | boolean     | register ≠ 0                                  |
 * | bit (register)                   | boolean     | bit `bit` of the register, 0 = LSB            |
 * | int16, uint16, int32, uint32     | number      | exact                                         |
 * | int64, uint64                    | bigint      | exact; toEngineering turns it into a number   |
 * | float32, float64                 | number      | IEEE-754; NaN and ±Infinity words decode to   |
 * |                                  |             | NaN/±Infinity — the caller decides the quality |
 * | string (length N registers)      | string      | Latin-1, 2 chars per register, cut at the     |
 * |                                  |             | first NUL, trailing spaces removed            |
 *
 * Byte/word order is documented in words.ts. Extra words beyond what the binding needs are
 * ignored; too few throw `GZ_CODEC_SHORT`.
 */
import type { ByteOrder, ModbusBinding } from '../profile-schema.js';
import { CodecError } from './errors.js';
import { registerCount } from './register-count.js';
import { DEFAULT_ORDER, orderSwitches, swapBytes16, wordsToBytes } from './words.js';

export type RawValue = number | bigint | boolean | string;

/** Largest value any binding spans: a 125-register string. */
const scratch = new Uint8Array(2 * 125);
const view = new DataView(scratch.buffer);

/** The order a binding is decoded with: its own, else the device default, else ABCD. */
export const resolveOrder = (b: Pick<ModbusBinding, 'order'>, defaultOrder?: ByteOrder): ByteOrder =>
  b.order ?? defaultOrder ?? DEFAULT_ORDER;

export const isBitTable = (table: ModbusBinding['table']): boolean =>
  table === 'coil' || table === 'discrete';

export function decodeRaw(b: ModbusBinding, words: ArrayLike<number>, defaultOrder?: ByteOrder): RawValue {
  const n = registerCount(b);
  if (words.length < n) {
    throw new CodecError(
      'GZ_CODEC_SHORT',
      `${b.type} at ${b.table} ${b.address} needs ${n} ${isBitTable(b.table) ? 'bit' : 'register'}(s), got ${words.length}`,
    );
  }
  const first = Number(words[0]);
  if (isBitTable(b.table)) return first !== 0;
  const sw = orderSwitches(resolveOrder(b, defaultOrder));
  switch (b.type) {
    case 'bool':
      return (first & 0xffff) !== 0;
    case 'bit':
      return ((first >>> bitIndex(b)) & 1) === 1;
    case 'int16':
    case 'uint16': {
      const w = sw.byteSwap ? swapBytes16(first & 0xffff) : first & 0xffff;
      return b.type === 'int16' ? (w << 16) >> 16 : w;
    }
    case 'int32':
      wordsToBytes(words, 2, sw, scratch);
      return view.getInt32(0);
    case 'uint32':
      wordsToBytes(words, 2, sw, scratch);
      return view.getUint32(0);
    case 'float32':
      wordsToBytes(words, 2, sw, scratch);
      return view.getFloat32(0);
    case 'int64':
      wordsToBytes(words, 4, sw, scratch);
      return view.getBigInt64(0);
    case 'uint64':
      wordsToBytes(words, 4, sw, scratch);
      return view.getBigUint64(0);
    case 'float64':
      wordsToBytes(words, 4, sw, scratch);
      return view.getFloat64(0);
    case 'string':
      // strings never word-swap (see words.ts)
      wordsToBytes(words, n, { byteSwap: sw.byteSwap, wordSwap: false }, scratch);
      return latin1(scratch, 2 * n);
  }
}

export function bitIndex(b: Pick<ModbusBinding, 'bit' | 'address' | 'table'>): number {
  const bit = b.bit;
  if (bit === undefined || !Number.isInteger(bit) || bit < 0 || bit > 15) {
    throw new CodecError(
      'GZ_CODEC_BINDING',
      `bit binding at ${b.table} ${b.address} needs "bit" between 0 and 15, got ${String(bit)}`,
    );
  }
  return bit;
}

function latin1(bytes: Uint8Array, len: number): string {
  let end = 0;
  while (end < len && bytes[end] !== 0) end++;
  while (end > 0 && bytes[end - 1] === 0x20) end--;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(bytes[i] ?? 0);
  return s;
}
