/**
 * What every streaming deframer of this folder reports: frames cut from a byte stream that
 * arrives in arbitrary pieces (split across reads, several per read, garbage between), and
 * frames refused with a reason. A deframer never throws on input and never yields a frame
 * whose checksum, length or terminator is wrong.
 */

export type Deframed<F> =
  | { ok: true; frame: F; raw: Uint8Array }
  | { ok: false; reason: string; raw: Uint8Array };

export interface DeframerStats {
  /** frames accepted */
  frames: number;
  /** candidate frames refused, by reason (checksum, length, terminator, BCD …) */
  refused: number;
  reasons: Record<string, number>;
  /** bytes skipped that were not part of any frame (wake-up preambles not counted) */
  garbageBytes: number;
}

export interface Deframer<F> {
  /** Feeds bytes; returns what became complete (accepted and refused) in arrival order. */
  push(chunk: Uint8Array): Deframed<F>[];
  /** Refuses whatever partial frame is buffered (a read timed out) and clears the buffer. */
  flush(): Deframed<F>[];
  /** bytes buffered waiting for the rest of a frame */
  readonly pending: number;
  readonly stats: DeframerStats;
}

export function newStats(): DeframerStats {
  return { frames: 0, refused: 0, reasons: {}, garbageBytes: 0 };
}

/** The reason's class for counting: "checksum", "length", "BCD digit > 9", … (text before ':'). */
export function countRefusal(stats: DeframerStats, reason: string): void {
  stats.refused++;
  const key = reason.split(':')[0]!.trim();
  stats.reasons[key] = (stats.reasons[key] ?? 0) + 1;
}

/** A growable byte buffer for deframers (avoids Buffer.concat on every small read). */
export class ByteQueue {
  private buf = new Uint8Array(256);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  at(i: number): number {
    return this.buf[this.start + i]!;
  }

  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const need = this.length + chunk.length;
      const next = new Uint8Array(Math.max(need * 2, 256));
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** A copy of bytes [from, to) relative to the head. */
  slice(from: number, to: number): Uint8Array {
    return this.buf.slice(this.start + from, this.start + to);
  }

  drop(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.start === this.end) this.start = this.end = 0;
  }

  clear(): void {
    this.start = this.end = 0;
  }
}
