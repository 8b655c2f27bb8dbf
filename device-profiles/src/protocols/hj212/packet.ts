/**
 * HJ 212-2017 §6.3.1 communication packet: `##` + data segment length (4 decimal digits) +
 * data segment (ASCII, 0–1024 bytes) + CRC16 of the data segment (4 hex digits, Appendix A)
 * + `\r\n`.
 */
import { crcHex, hj212Crc16 } from './crc.js';

export const HEADER = '##';
/** §6.3.1: the data segment is at most 1024 bytes */
export const MAX_SEGMENT = 1024;

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

export function encodePacket(segment: string): Uint8Array {
  const body = enc.encode(segment);
  if (body.length > 9999)
    throw new RangeError(`HJ 212 data segment of ${body.length} bytes does not fit 4 digits`);
  const head = enc.encode(`${HEADER}${String(body.length).padStart(4, '0')}`);
  const tail = enc.encode(`${crcHex(hj212Crc16(body))}\r\n`);
  const out = new Uint8Array(head.length + body.length + tail.length);
  out.set(head);
  out.set(body, head.length);
  out.set(tail, head.length + body.length);
  return out;
}

export type PacketResult = { ok: true; segment: string; crc: string } | { ok: false; reason: string };

/** Checks one complete packet: header, length, CRC, terminator. Never throws. */
export function decodePacket(bytes: Uint8Array, maxSegment = MAX_SEGMENT): PacketResult {
  if (bytes.length < 12)
    return { ok: false, reason: `length: ${bytes.length} bytes, a packet has at least 12` };
  if (bytes[0] !== 0x23 || bytes[1] !== 0x23)
    return { ok: false, reason: 'bad start: packet does not begin with ##' };
  const lenText = dec.decode(bytes.subarray(2, 6));
  if (!/^\d{4}$/.test(lenText)) return { ok: false, reason: `length: "${lenText}" is not 4 decimal digits` };
  const len = Number(lenText);
  if (len > maxSegment)
    return { ok: false, reason: `length: data segment of ${len} bytes exceeds ${maxSegment}` };
  if (bytes.length !== 12 + len)
    return { ok: false, reason: `length: ${len} announced, packet has ${bytes.length - 12}` };
  if (bytes[10 + len] !== 0x0d || bytes[11 + len] !== 0x0a)
    return { ok: false, reason: 'terminator: packet does not end with CR LF' };
  const body = bytes.subarray(6, 6 + len);
  const crcText = dec.decode(bytes.subarray(6 + len, 10 + len));
  if (!/^[0-9A-Fa-f]{4}$/.test(crcText))
    return { ok: false, reason: `CRC: "${crcText}" is not 4 hex digits` };
  const want = crcHex(hj212Crc16(body));
  if (crcText.toUpperCase() !== want)
    return { ok: false, reason: `CRC: computed ${want}, packet has ${crcText}` };
  for (const b of body) {
    if (b < 0x20 || b > 0x7e)
      return { ok: false, reason: `data segment: byte 0x${b.toString(16)} is not printable ASCII` };
  }
  return { ok: true, segment: dec.decode(body), crc: want };
}
