/**
 * On-disk record framing, little-endian:
 *
 *   u32 length      payload bytes
 *   u32 crc32       CRC-32 (IEEE) of the appendedAt field followed by the payload
 *   f64 appendedAt  clock ms when appended
 *   …   payload
 *
 * Covering appendedAt by the CRC means a zero-filled or half-written header is detected as
 * well as a torn payload.
 */
import * as zlib from 'node:zlib';

export const RECORD_HEADER_BYTES = 16;
/** No single record may be larger than this (keeps every length field and read buffer sane). */
export const MAX_RECORD_BYTES = 1 << 30;

const table = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

function tableCrc32(data: Uint8Array, initial = 0): number {
  let c = ~initial;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** zlib.crc32 exists from Node 20.15; the table version keeps 20.11 working. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
export const crc32: (data: Uint8Array, initial?: number) => number = nativeCrc32
  ? (d, i = 0) => nativeCrc32(d, i)
  : tableCrc32;

/** CRC of one record as stored: appendedAt (8 bytes, taken from `header`) then the payload. */
export function recordCrc(header: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(header.subarray(8, 16)));
}

/** Writes a record header for `payload` into `out` at `at`. */
export function writeHeader(out: Buffer, at: number, payload: Uint8Array, appendedAt: number): void {
  out.writeUInt32LE(payload.length, at);
  out.writeDoubleLE(appendedAt, at + 8);
  out.writeUInt32LE(recordCrc(out.subarray(at, at + RECORD_HEADER_BYTES), payload), at + 4);
}

export interface ParsedRecord {
  /** Start of the record (its header) in the buffer. */
  at: number;
  length: number;
  appendedAt: number;
}

export type ParseResult =
  | { kind: 'ok'; record: ParsedRecord }
  /** Not enough bytes to decide: the buffer ends inside this record. */
  | { kind: 'short'; need: number }
  | { kind: 'bad'; reason: string };

/** Parses and checks the record at `at`. */
export function parseRecord(buf: Buffer, at: number, end: number): ParseResult {
  if (end - at < RECORD_HEADER_BYTES) return { kind: 'short', need: RECORD_HEADER_BYTES };
  const length = buf.readUInt32LE(at);
  if (length > MAX_RECORD_BYTES) return { kind: 'bad', reason: `length ${length} exceeds the record limit` };
  const total = RECORD_HEADER_BYTES + length;
  if (end - at < total) return { kind: 'short', need: total };
  const header = buf.subarray(at, at + RECORD_HEADER_BYTES);
  const payload = buf.subarray(at + RECORD_HEADER_BYTES, at + total);
  if (recordCrc(header, payload) !== buf.readUInt32LE(at + 4)) return { kind: 'bad', reason: 'CRC mismatch' };
  const appendedAt = buf.readDoubleLE(at + 8);
  if (!Number.isFinite(appendedAt)) return { kind: 'bad', reason: 'appendedAt is not a number' };
  return { kind: 'ok', record: { at, length, appendedAt } };
}
