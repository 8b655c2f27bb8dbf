/**
 * Streaming CJ/T 188 deframer (same contract as the DL/T 645 one): `68 T A0..A6 C L DATA CS
 * 16` frames cut from arbitrary pieces, FE wake-ups skipped, other stray bytes counted as
 * garbage, candidates with a wrong terminator, checksum or address refused with the reason and
 * the search resumed one byte after their 68.
 */
import {
  ByteQueue,
  countRefusal,
  type Deframed,
  type Deframer,
  type DeframerStats,
  newStats,
} from '../deframe.js';
import { decodeFrame, END, type Frame, START, WAKE } from './frame.js';

export class Cjt188Deframer implements Deframer<Frame> {
  readonly stats: DeframerStats = newStats();
  private readonly q = new ByteQueue();

  get pending(): number {
    return this.q.length;
  }

  push(chunk: Uint8Array): Deframed<Frame>[] {
    this.q.push(chunk);
    const out: Deframed<Frame>[] = [];
    for (;;) {
      let skip = 0;
      while (skip < this.q.length && this.q.at(skip) !== START) {
        if (this.q.at(skip) !== WAKE) this.stats.garbageBytes++;
        skip++;
      }
      this.q.drop(skip);
      if (this.q.length < 11) return out;
      const total = 13 + this.q.at(10);
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
    return raw.some((b) => b !== WAKE)
      ? [this.refuse(raw, `truncated: ${raw.length} bytes of an unfinished frame`)]
      : [];
  }

  private refuse(raw: Uint8Array, reason: string): Deframed<Frame> {
    countRefusal(this.stats, reason);
    return { ok: false, reason, raw };
  }
}
