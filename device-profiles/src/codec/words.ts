/**
 * Byte and word order: how the bytes of a value are laid out over Modbus registers.
 *
 * Modbus itself only defines one thing: a register is 16 bits and goes on the wire high byte
 * first (Modbus Application Protocol V1.1b3 §4.2). Everything wider than one register is a
 * vendor convention. We name the conventions by where the bytes of the big-endian value land,
 * reading registers in ascending address order, each register high byte first.
 *
 * Write the value's big-endian bytes as A B (16-bit), A B C D (32-bit) or A B C D E F G H
 * (64-bit), A being the most significant byte. Then, with register N the point's `address`:
 *
 * | order | 16-bit   | 32-bit: N, N+1 | 64-bit: N, N+1, N+2, N+3 | also called                          |
 * |-------|----------|----------------|--------------------------|--------------------------------------|
 * | ABCD  | AB       | AB CD          | AB CD EF GH              | big-endian, "high word first"        |
 * | BADC  | BA       | BA DC          | BA DC FE HG              | byte-swapped, big-endian words       |
 * | CDAB  | AB       | CD AB          | GH EF CD AB              | word-swapped, "low word first", Modicon |
 * | DCBA  | BA       | DC BA          | HG FE DC BA              | fully little-endian                  |
 *
 * So an order is two independent switches: `byteSwap` (BADC, DCBA: the two bytes inside every
 * register are exchanged) and `wordSwap` (CDAB, DCBA: the register order is reversed — for
 * 64-bit values the whole 4-register sequence is reversed, the layout Telegraf calls GHEFCDAB,
 * not a pairwise swap). For 16-bit values the word switch has nothing to act on, so ABCD ≡ CDAB
 * and BADC ≡ DCBA.
 *
 * Strings (N registers, two 8-bit characters per register) always run in ascending address
 * order — the first character is in register N — because a device that stores text reversed
 * word by word does not exist in any datasheet we know. Only the byte switch applies: ABCD/CDAB
 * put the first character of each pair in the high byte, BADC/DCBA in the low byte.
 *
 * `bool` and `bit` bindings in register tables ignore the order: `bool` is "register ≠ 0" and
 * `bit` N is bit N of the register as transmitted (bit 0 = least significant bit of the 16-bit
 * register value), which is how datasheets number status bits. Coil and discrete tables carry
 * one bit per address and have no order at all.
 */
import type { ByteOrder } from '../profile-schema.js';

export const DEFAULT_ORDER: ByteOrder = 'ABCD';

export interface OrderSwitches {
  /** exchange the two bytes inside each register */
  readonly byteSwap: boolean;
  /** reverse the order of the registers */
  readonly wordSwap: boolean;
}

const SWITCHES: Record<ByteOrder, OrderSwitches> = {
  ABCD: { byteSwap: false, wordSwap: false },
  BADC: { byteSwap: true, wordSwap: false },
  CDAB: { byteSwap: false, wordSwap: true },
  DCBA: { byteSwap: true, wordSwap: true },
};

export const orderSwitches = (order: ByteOrder): OrderSwitches => SWITCHES[order];

/**
 * Writes the big-endian bytes of an `n`-register value, read from `words` (starting at index 0)
 * under the given switches, into `out[0 .. 2n)`.
 */
export function wordsToBytes(words: ArrayLike<number>, n: number, sw: OrderSwitches, out: Uint8Array): void {
  for (let i = 0; i < n; i++) {
    const w = (words[sw.wordSwap ? n - 1 - i : i] ?? 0) & 0xffff;
    const hi = w >>> 8;
    const lo = w & 0xff;
    out[2 * i] = sw.byteSwap ? lo : hi;
    out[2 * i + 1] = sw.byteSwap ? hi : lo;
  }
}

/** Inverse of {@link wordsToBytes}: big-endian value bytes `bytes[0 .. 2n)` → `n` register words. */
export function bytesToWords(bytes: Uint8Array, n: number, sw: OrderSwitches): number[] {
  const words = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const hi = bytes[2 * i] ?? 0;
    const lo = bytes[2 * i + 1] ?? 0;
    words[sw.wordSwap ? n - 1 - i : i] = sw.byteSwap ? (lo << 8) | hi : (hi << 8) | lo;
  }
  return words;
}

/** Exchanges the two bytes of a 16-bit register value. */
export const swapBytes16 = (w: number): number => ((w & 0xff) << 8) | ((w >>> 8) & 0xff);
