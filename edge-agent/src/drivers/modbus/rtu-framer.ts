/**
 * Cuts a Modbus RTU byte stream into frames by what the frame itself says — its function code
 * and, for reads, its byte count — not by the length the request expected. (modbus-serial's
 * own RTU ports cut by the expected length: a short reply with a valid CRC, `11 03 02 00 00
 * 79 87` to a two-register read, was joined with the start of the next reply and reported as
 * a CRC error; a reply from another slave was never cut out and the request timed out.)
 *
 * Response layouts (MODBUS Application Protocol Specification V1.1b3, §6.1–6.6 and §7;
 * serial framing and CRC: MODBUS over Serial Line V1.02, §2.5.1 and §6.2.2):
 *   01/02/03/04  unit, fc, byte count N, N bytes, CRC lo, CRC hi      5 + N bytes
 *   05/06/15/16  unit, fc, 4 bytes, CRC                               8 bytes
 *   exception    unit, fc | 0x80, code, CRC                           5 bytes
 *
 * A candidate whose CRC is wrong is a `crc` event when its header is the one the current
 * request expects (a corrupted reply); otherwise one byte is skipped and the framer looks for a
 * frame at the next byte (noise on the line, the tail of a frame cut before).
 */

export type RtuEvent =
  /** a frame whose CRC is right (what it answers is for the port to decide) */
  | { kind: 'frame'; frame: Buffer }
  /** the expected header with a wrong CRC */
  | { kind: 'crc'; frame: Buffer }
  /** bytes that start no frame, skipped */
  | { kind: 'skipped'; bytes: number };

/** Largest RTU frame: 256 bytes (MODBUS over Serial Line V1.02, §2.5.1). */
export const MAX_RTU_FRAME = 256;

export function crc16Modbus(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const b of buf) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** The length of the frame starting at buf[0], or 0 when more bytes are needed, -1 when none can start there. */
function frameLength(buf: Buffer): number {
  if (buf.length < 2) return 0;
  const fc = buf[1]!;
  if (fc & 0x80) return (fc & 0x7f) === 0 ? -1 : 5;
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      if (buf.length < 3) return 0;
      return 5 + buf[2]!;
    case 5:
    case 6:
    case 15:
    case 16:
      return 8;
    default:
      return -1;
  }
}

export class RtuFramer {
  private buf: Buffer = Buffer.alloc(0);
  /** unit and function code of the reply the current request expects */
  expecting: { unit: number; fc: number } | undefined;

  /** Bytes held that form no complete frame yet. */
  get pending(): number {
    return this.buf.length;
  }

  clear(): void {
    this.buf = Buffer.alloc(0);
  }

  push(chunk: Buffer): RtuEvent[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: RtuEvent[] = [];
    let skipped = 0;
    const skip = (n: number) => {
      skipped += n;
      this.buf = this.buf.subarray(n);
    };
    for (;;) {
      if (this.buf.length > 4 * MAX_RTU_FRAME) skip(this.buf.length - MAX_RTU_FRAME);
      const len = frameLength(this.buf);
      if (len === 0 || (len > 0 && this.buf.length < len)) break;
      if (len < 0 || len > MAX_RTU_FRAME) {
        skip(1);
        continue;
      }
      const frame = Buffer.from(this.buf.subarray(0, len));
      if (crc16Modbus(frame.subarray(0, len - 2)) === frame.readUInt16LE(len - 2)) {
        if (skipped) out.push({ kind: 'skipped', bytes: skipped });
        skipped = 0;
        out.push({ kind: 'frame', frame });
        this.buf = this.buf.subarray(len);
        continue;
      }
      const e = this.expecting;
      if (e && frame[0] === e.unit && (frame[1]! & 0x7f) === e.fc) {
        if (skipped) out.push({ kind: 'skipped', bytes: skipped });
        skipped = 0;
        out.push({ kind: 'crc', frame });
        this.buf = this.buf.subarray(len);
        continue;
      }
      skip(1);
    }
    if (skipped) out.push({ kind: 'skipped', bytes: skipped });
    return out;
  }
}
