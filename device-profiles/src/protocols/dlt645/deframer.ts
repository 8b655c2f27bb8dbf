/**
 * Streaming DL/T 645 deframer: cuts `68 A 68 C L DATA CS 16` frames out of a byte stream
 * (RS-485 line or a serial device server's TCP socket) that arrives in arbitrary pieces.
 * FE wake-up bytes are skipped silently; other bytes before a frame are counted as garbage.
 * A candidate (68 with another 68 seven bytes on) whose L is too large, whose last byte is
 * not 16, whose checksum or address is wrong is refused with the reason, and the search goes
 * on one byte after its first 68, so a corrupted length byte cannot swallow the next frame.
 */
import {
  ByteQueue,
  countRefusal,
  type Deframed,
  type Deframer,
  type DeframerStats,
  newStats,
} from '../deframe.js';
import { decodeFrame, END, type Frame, MAX_DATA, START, WAKE } from './frame.js';

export class Dlt645Deframer implements Deframer<Frame> {
  readonly stats: DeframerStats = newStats();
  private readonly q = new ByteQueue();

  get pending(): number {
    return this.q.length;
  }

  push(chunk: Uint8Array): Deframed<Frame>[] {
    this.q.push(chunk);
    const out: Deframed<Frame>[] = [];
    for (;;) {
      // skip to the next 68 (FE preambles are expected, anything else is garbage)
      let skip = 0;
      while (skip < this.q.length && this.q.at(skip) !== START) {
        if (this.q.at(skip) !== WAKE) this.stats.garbageBytes++;
        skip++;
      }
      this.q.drop(skip);
      if (this.q.length < 10) return out;
      if (this.q.at(7) !== START) {
        // a lone 68 (noise): not a frame header
        this.stats.garbageBytes++;
        this.q.drop(1);
        continue;
      }
      const len = this.q.at(9);
      if (len > MAX_DATA) {
        out.push(this.refuse(this.q.slice(0, 10), `length: L = ${len} exceeds ${MAX_DATA}`));
        this.q.drop(1);
        continue;
      }
      const total = 12 + len;
      if (this.q.length < total) return out;
      const raw = this.q.slice(0, total);
      if (raw[total - 1] !== END) {
        out.push(this.refuse(raw, 'terminator: byte after the checksum is not 16'));
        this.q.drop(1);
        continue;
      }
      const r = decodeFrame(raw);
      if (!r.ok) {
        out.push(this.refuse(raw, r.reason));
        this.q.drop(1);
        continue;
      }
      this.stats.frames++;
      out.push({ ok: true, frame: r.frame, raw });
      this.q.drop(total);
    }
  }

  flush(): Deframed<Frame>[] {
    if (this.q.length === 0) return [];
    const raw = this.q.slice(0, this.q.length);
    this.q.clear();
    let meaningful = false;
    for (const b of raw) if (b !== WAKE) meaningful = true;
    return meaningful ? [this.refuse(raw, `truncated: ${raw.length} bytes of an unfinished frame`)] : [];
  }

  private refuse(raw: Uint8Array, reason: string): Deframed<Frame> {
    countRefusal(this.stats, reason);
    return { ok: false, reason, raw };
  }
}
