/**
 * CJ/T 188 (2004; 2018 keeps the frame) frames: `[FE…] 68 T A0..A6 C L DATA CS 16`.
 *
 * - T: meter type (10h cold water, 11h hot water, 12h drinking water, 13h reclaimed water,
 *   20h heat meter (heat), 21h heat meter (cooling), 30h gas, 40h electricity).
 * - A0..A6: 7-byte address, BCD, least significant byte first (A5 A6 are the manufacturer
 *   code on most meters); AA…AA is the wildcard.
 * - C: bit 7 direction (1 = from the meter), bit 6 abnormal reply, bits 5-0 function
 *   (01 read data, 03 read address, 04 write data, 09 read key version, 15 write address).
 * - L: data length; DATA: DI0 DI1 SER then the data items, no offset (unlike DL/T 645).
 * - CS: byte sum from 68 to the last data byte, mod 256; then 16.
 */
import { bcdText, sum8, textBcd } from '../bcd.js';

export const START = 0x68;
export const END = 0x16;
export const WAKE = 0xfe;

export const METER_TYPES: Record<number, string> = {
  16: 'cold water meter',
  17: 'hot water meter',
  18: 'drinking water meter',
  19: 'reclaimed water meter',
  32: 'heat meter (heat)',
  33: 'heat meter (cooling)',
  48: 'gas meter',
  64: 'electricity meter',
};

export const FN = { readData: 0x01, readAddress: 0x03 } as const;
export const WILDCARD_ADDRESS = 'AAAAAAAAAAAAAA';
/** DI of "read metering data" (计量数据), sent as 1F 90 (low byte first) */
export const DI_READ_DATA = 0x901f;

export interface Frame {
  meterType: number;
  /** 14 characters, most significant first ("78330011223344") */
  address: string;
  control: { code: number; fn: number; reply: boolean; abnormal: boolean };
  data: Uint8Array;
}

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: string };

export function isValidAddress(address: string): boolean {
  return /^[0-9A]{14}$/.test(address);
}

export function encodeFrame(
  meterType: number,
  address: string,
  code: number,
  data: Uint8Array,
  preamble = 0,
): Uint8Array {
  const up = address.toUpperCase();
  const a = textBcd(up, 7);
  if (!a || !isValidAddress(up)) throw new RangeError(`CJ/T 188 address must be 14 digits, got "${address}"`);
  if (data.length > 255) throw new RangeError('CJ/T 188 data field longer than 255 bytes');
  const pre = Math.max(0, Math.min(4, preamble));
  const out = new Uint8Array(pre + 13 + data.length);
  out.fill(WAKE, 0, pre);
  let i = pre;
  out[i++] = START;
  out[i++] = meterType & 0xff;
  out.set(a, i);
  i += 7;
  out[i++] = code & 0xff;
  out[i++] = data.length;
  out.set(data, i);
  i += data.length;
  out[i] = sum8(out, pre, i);
  out[i + 1] = END;
  return out;
}

export function decodeFrame(bytes: Uint8Array): DecodeResult {
  let p = 0;
  while (p < bytes.length && bytes[p] === WAKE) p++;
  const n = bytes.length - p;
  if (n < 13) return { ok: false, reason: `length: ${n} bytes, a frame has at least 13` };
  if (bytes[p] !== START) return { ok: false, reason: 'bad start: first byte is not 68' };
  const len = bytes[p + 10]!;
  if (n !== 13 + len) return { ok: false, reason: `length: L = ${len} needs ${13 + len} bytes, got ${n}` };
  if (bytes[p + 12 + len] !== END) return { ok: false, reason: 'terminator: last byte is not 16' };
  const cs = sum8(bytes, p, p + 11 + len);
  const got = bytes[p + 11 + len]!;
  if (cs !== got) return { ok: false, reason: `checksum: computed ${h2(cs)}, frame has ${h2(got)}` };
  const address = bcdText(bytes.subarray(p + 2, p + 9));
  if (!isValidAddress(address)) return { ok: false, reason: `address: ${address} is not 14 BCD digits` };
  const code = bytes[p + 9]!;
  return {
    ok: true,
    frame: {
      meterType: bytes[p + 1]!,
      address,
      control: { code, fn: code & 0x3f, reply: (code & 0x80) !== 0, abnormal: (code & 0x40) !== 0 },
      data: bytes.slice(p + 11, p + 11 + len),
    },
  };
}

/** Read metering data (C = 01, L = 03, DI 1F 90, SER). */
export function readDataRequest(meterType: number, address: string, ser = 0, preamble = 0): Uint8Array {
  return encodeFrame(
    meterType,
    address,
    FN.readData,
    Uint8Array.of(DI_READ_DATA & 0xff, DI_READ_DATA >> 8, ser & 0xff),
    preamble,
  );
}

const h2 = (b: number) => b.toString(16).padStart(2, '0').toUpperCase();
