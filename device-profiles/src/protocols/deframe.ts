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

/**
 * What differs between the `68 … CS 16` framings (DL/T 645, CJ/T 188): where the length sits
 * and what a header must look like. The frame's own decoder checks checksum and address.
 */
export interface StartEndFormat<F> {
  start: number;
  end: number;
  /** wake-up preamble byte (FE), skipped without counting as garbage */
  wake: number;
  /** bytes from the start byte on that `frameLength` reads */
  headerBytes: number;
  /** the whole frame's length from its header; `garbage`: the start byte was noise; `refuse`: a bad header */
  frameLength(q: ByteQueue): number | { garbage: true } | { refuse: string };
  decode(raw: Uint8Array): { ok: true; frame: F } | { ok: false; reason: string };
}

/**
 * The streaming deframer of the `68 … CS 16` framings: skips wake-ups, counts stray bytes as
 * garbage, refuses a candidate with a wrong header, terminator, checksum or address with the
 * reason and resumes the search one byte after its start byte, so a corrupted length cannot
 * swallow the next frame.
 */
export class StartEndDeframer<F> implements Deframer<F> {
  readonly stats: DeframerStats = newStats();
  private readonly q = new ByteQueue();

  constructor(private readonly format: StartEndFormat<F>) {}

  get pending(): number {
    return this.q.length;
  }

  push(chunk: Uint8Array): Deframed<F>[] {
    const { q, format: f } = this;
    q.push(chunk);
    const out: Deframed<F>[] = [];
    for (;;) {
      let skip = 0;
      while (skip < q.length && q.at(skip) !== f.start) {
        if (q.at(skip) !== f.wake) this.stats.garbageBytes++;
        skip++;
      }
      q.drop(skip);
      if (q.length < f.headerBytes) return out;
      const total = f.frameLength(q);
      if (typeof total !== 'number') {
        if ('garbage' in total) this.stats.garbageBytes++;
        else out.push(this.refuse(q.slice(0, f.headerBytes), total.refuse));
        q.drop(1);
        continue;
      }
      if (q.length < total) return out;
      const raw = q.slice(0, total);
      const r =
        raw[total - 1] !== f.end
          ? { ok: false as const, reason: `terminator: byte after the checksum is not ${hex(f.end)}` }
          : f.decode(raw);
      if (!r.ok) {
        out.push(this.refuse(raw, r.reason));
        q.drop(1);
        continue;
      }
      this.stats.frames++;
      out.push({ ok: true, frame: r.frame, raw });
      q.drop(total);
    }
  }

  /**
   * No more bytes are coming for what is buffered (a read timed out, the stream ended). The
   * unfinished frame at the head is refused as truncated — but only up to the next start byte
   * from which a complete, valid frame follows: a noise byte equal to the start byte, with a
   * length running past the end, must not hide a good frame behind it (found by the
   * national-frames fuzz test, a CJ/T 188 reply lost behind such a false start). That frame is
   * delivered, and the rest looked at the same way.
   */
  flush(): Deframed<F>[] {
    const out: Deframed<F>[] = [];
    const { q, format: f } = this;
    while (q.length > 0) {
      let resume = q.length;
      for (let i = 1; i < q.length; i++) {
        if (q.at(i) !== f.start) continue;
        const probe = new StartEndDeframer(f);
        if (probe.push(q.slice(i, q.length)).some((r) => r.ok)) {
          resume = i;
          break;
        }
      }
      const raw = q.slice(0, resume);
      q.drop(resume);
      if (raw.some((b) => b !== f.wake)) {
        out.push(this.refuse(raw, `truncated: ${raw.length} bytes of an unfinished frame`));
      }
      out.push(...this.push(EMPTY));
    }
    return out;
  }

  private refuse(raw: Uint8Array, reason: string): Deframed<F> {
    countRefusal(this.stats, reason);
    return { ok: false, reason, raw };
  }
}

const EMPTY = new Uint8Array(0);

const hex = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');
