/**
 * Cuts a byte stream (serial line or RTU-over-TCP socket) into Modbus RTU request frames.
 * Frame length comes from the function code; a frame whose CRC fails loses its first byte
 * and parsing resumes (resynchronisation after noise). A request with an unknown function
 * code has no known length: it is taken whole when the line goes idle, and answered with
 * exception 01 if its CRC holds, else dropped.
 */
import { crcOk } from './crc16.js';
import { requestPduLength } from './pdu.js';

const MAX_FRAME = 256;

export class RtuDeframer {
  private buf = Buffer.alloc(0);
  /** bytes discarded as noise so far */
  discarded = 0;

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      if (this.buf.length < 4) break;
      const fc = this.buf[1]!;
      const known = (fc >= 1 && fc <= 6) || fc === 15 || fc === 16;
      if (!known) {
        // noise, or a request we cannot size: skip to a later valid frame if one is in,
        // else wait for the line to go idle
        const k = this.nextValidFrame();
        if (k < 0) break;
        this.discarded += k;
        this.buf = this.buf.subarray(k);
        continue;
      }
      const pduLen = requestPduLength(this.buf, 1);
      if (pduLen === undefined) break;
      const total = 1 + pduLen + 2;
      if (this.buf.length < total) break;
      const frame = this.buf.subarray(0, total);
      if (crcOk(frame)) {
        frames.push(Buffer.from(frame));
        this.buf = this.buf.subarray(total);
      } else {
        this.buf = this.buf.subarray(1);
        this.discarded++;
      }
    }
    if (this.buf.length > MAX_FRAME) {
      this.discarded += this.buf.length;
      this.buf = Buffer.alloc(0);
    }
    return frames;
  }

  private nextValidFrame(): number {
    for (let k = 1; k + 4 <= this.buf.length; k++) {
      const fc = this.buf[k + 1]!;
      if (!((fc >= 1 && fc <= 6) || fc === 15 || fc === 16)) continue;
      const len = requestPduLength(this.buf, k + 1);
      if (len === undefined || k + len + 3 > this.buf.length) continue;
      if (crcOk(this.buf.subarray(k, k + len + 3))) return k;
    }
    return -1;
  }

  /** The line went idle: whatever is left is one frame (valid CRC) or noise. */
  idle(): Buffer | undefined {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    if (rest.length === 0) return undefined;
    if (rest.length >= 4 && crcOk(rest)) return rest;
    this.discarded += rest.length;
    return undefined;
  }

  pending(): number {
    return this.buf.length;
  }
}
