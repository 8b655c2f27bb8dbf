/**
 * DL/T 645-2007 (and -1997) frames: `[FE…] 68 A0..A5 68 C L DATA CS 16`.
 *
 * - A0..A5: meter address, 12 BCD digits, least significant byte first (§4.1.2); `AA` is the
 *   wildcard (read address), `99 99 99 99 99 99` the broadcast address (time sync).
 * - C: bit 7 direction (1 = reply from the meter), bit 6 abnormal reply, bit 5 follow-up
 *   frames, bits 4-0 function (§4.1.4: 08 broadcast time, 11 read data, 12 read follow-up,
 *   13 read address, 14 write data, 15 write address; 1997: 01 read data, 02 read follow-up).
 * - L: data length (2007: ≤ 200 for reads, §4.1.5); DATA: every byte sent +0x33 (§4.1.6).
 * - CS: byte sum of everything from the first 68 to the last data byte, mod 256 (§4.1.7).
 * - FE: up to four wake-up bytes before a frame (§4.2), ignored by receivers.
 */
import { bcdText, sum8, textBcd } from '../bcd.js';

export const START = 0x68;
export const END = 0x16;
export const WAKE = 0xfe;
export const OFFSET = 0x33;
/** the largest L this codec accepts (2007 §4.1.5: L ≤ 200 for reads; 1997 L ≤ 200 too) */
export const MAX_DATA = 200;

export const FN = {
  broadcastTime: 0x08,
  readData: 0x11,
  readFollowUp: 0x12,
  readAddress: 0x13,
  writeData: 0x14,
  writeAddress: 0x15,
  /** DL/T 645-1997 */
  readData1997: 0x01,
  readFollowUp1997: 0x02,
} as const;

export const BROADCAST_ADDRESS = '999999999999';
export const WILDCARD_ADDRESS = 'AAAAAAAAAAAA';

/** Error word bits of an abnormal reply (DL/T 645-2007 Table "错误信息字 ERR"). */
export const ERROR_BITS = [
  'other error',
  'no requested data',
  'password wrong / unauthorised',
  'baud rate cannot be changed',
  'too many annual time zones',
  'too many daily time slots',
  'too many tariffs',
  'reserved',
] as const;

export function describeErrorWord(err: number): string {
  const bits = ERROR_BITS.filter((_, i) => (err >> i) & 1);
  return bits.length > 0 ? bits.join(', ') : 'no error bit set';
}

export interface Control {
  /** the full control byte */
  code: number;
  /** bits 4-0 */
  fn: number;
  /** bit 7: sent by the meter */
  reply: boolean;
  /** bit 6: abnormal (error) reply */
  abnormal: boolean;
  /** bit 5: follow-up frames exist */
  followUp: boolean;
}

export function control(code: number): Control {
  return {
    code,
    fn: code & 0x1f,
    reply: (code & 0x80) !== 0,
    abnormal: (code & 0x40) !== 0,
    followUp: (code & 0x20) !== 0,
  };
}

export interface Frame {
  /** 12 characters, most significant digit first, as printed on the meter ("000000000161") */
  address: string;
  control: Control;
  /** the data field with the 0x33 offset removed */
  data: Uint8Array;
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: string };

/** An address of 12 digits (0-9) or wildcard nibbles A; anything else is refused. */
export function isValidAddress(address: string): boolean {
  return /^[0-9A]{12}$/.test(address) || address === BROADCAST_ADDRESS;
}

export interface EncodeOptions {
  /** FE wake-up bytes before the frame (0-4); default 0 */
  preamble?: number;
}

/** Builds a frame; `data` is given without the offset (the encoder adds 0x33 to each byte). */
export function encodeFrame(
  address: string,
  code: number,
  data: Uint8Array = new Uint8Array(0),
  opts: EncodeOptions = {},
): Uint8Array {
  const a = textBcd(address.toUpperCase(), 6);
  if (!a || !isValidAddress(address.toUpperCase()))
    throw new RangeError(`DL/T 645 address must be 12 digits, got "${address}"`);
  if (data.length > MAX_DATA)
    throw new RangeError(`DL/T 645 data field of ${data.length} bytes exceeds ${MAX_DATA}`);
  const pre = Math.max(0, Math.min(4, opts.preamble ?? 0));
  const out = new Uint8Array(pre + 12 + data.length);
  out.fill(WAKE, 0, pre);
  let i = pre;
  out[i++] = START;
  out.set(a, i);
  i += 6;
  out[i++] = START;
  out[i++] = code & 0xff;
  out[i++] = data.length;
  for (const b of data) out[i++] = (b + OFFSET) & 0xff;
  out[i] = sum8(out, pre, i);
  out[i + 1] = END;
  return out;
}

/**
 * Decodes exactly one frame (leading FE bytes allowed). Never throws; every refusal names
 * what was wrong: `bad start`, `length: …`, `terminator`, `checksum: …`, `address: …`.
 */
export function decodeFrame(bytes: Uint8Array): DecodeResult {
  let p = 0;
  while (p < bytes.length && bytes[p] === WAKE) p++;
  const n = bytes.length - p;
  if (n < 12) return { ok: false, reason: `length: ${n} bytes, a frame has at least 12` };
  if (bytes[p] !== START || bytes[p + 7] !== START)
    return { ok: false, reason: 'bad start: no 68 … 68 header' };
  const len = bytes[p + 9]!;
  if (len > MAX_DATA) return { ok: false, reason: `length: L = ${len} exceeds ${MAX_DATA}` };
  if (n !== 12 + len) return { ok: false, reason: `length: L = ${len} needs ${12 + len} bytes, got ${n}` };
  if (bytes[p + 11 + len] !== END) return { ok: false, reason: 'terminator: last byte is not 16' };
  const cs = sum8(bytes, p, p + 10 + len);
  const got = bytes[p + 10 + len]!;
  if (cs !== got) {
    return { ok: false, reason: `checksum: computed ${hex2(cs)}, frame has ${hex2(got)}` };
  }
  const address = bcdText(bytes.subarray(p + 1, p + 7));
  if (!isValidAddress(address)) return { ok: false, reason: `address: ${address} is not 12 BCD digits` };
  const data = new Uint8Array(len);
  for (let k = 0; k < len; k++) data[k] = (bytes[p + 10 + k]! - OFFSET) & 0xff;
  return { ok: true, frame: { address, control: control(bytes[p + 8]!), data } };
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0').toUpperCase();
