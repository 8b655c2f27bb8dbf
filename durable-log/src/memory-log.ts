/**
 * The in-memory DurableLog: same semantics as the segment log, nothing survives the process.
 * For tests and for the agent's --no-buffer mode.
 */

import { DurableLogError } from './errors.js';
import { LogCore } from './log-core.js';
import { MAX_RECORD_BYTES, RECORD_HEADER_BYTES } from './record-format.js';
import type { RecordStore } from './record-store.js';
import type { BoundsOptions, DurableLog, LogRecord, ReadLimits } from './types.js';

interface Entry {
  payload: Buffer;
  appendedAt: number;
}

class MemoryStore implements RecordStore {
  private entries: Entry[] = [];
  /** Index in `entries` of offset `start`. */
  private head = 0;
  start = 0;
  readonly segmentCount = 1;

  get end(): number {
    return this.start + this.entries.length - this.head;
  }

  append(payloads: readonly Uint8Array[], appendedAt: number): number {
    for (const p of payloads) {
      if (p.length > MAX_RECORD_BYTES) {
        throw new DurableLogError('GZ_LOG_RECORD_TOO_LARGE', `record of ${p.length} bytes exceeds 1 GiB`);
      }
    }
    const first = this.end;
    // Copy: the caller may reuse its buffer, as it may with the segment log.
    for (const p of payloads) this.entries.push({ payload: Buffer.from(p), appendedAt });
    return first;
  }

  private entry(offset: number): Entry | undefined {
    return offset >= this.start ? this.entries[this.head + offset - this.start] : undefined;
  }

  read(offset: number, limits: ReadLimits): LogRecord[] {
    const out: LogRecord[] = [];
    const maxRecords = limits.records ?? Number.POSITIVE_INFINITY;
    let bytes = 0;
    for (let o = offset; o < this.end && out.length < maxRecords; o++) {
      const e = this.entry(o)!;
      if (out.length > 0 && limits.bytes !== undefined && bytes + e.payload.length > limits.bytes) break;
      bytes += e.payload.length;
      out.push({ offset: o, payload: Buffer.from(e.payload), appendedAt: e.appendedAt });
    }
    return out;
  }

  sizeOf(offset: number): number {
    const e = this.entry(offset);
    return e ? e.payload.length + RECORD_HEADER_BYTES : 0;
  }

  rangeBytes(from: number, to: number): number {
    let sum = 0;
    for (let o = Math.max(from, this.start); o < to && o < this.end; o++) sum += this.sizeOf(o);
    return sum;
  }

  appendedAt(offset: number): number | undefined {
    return this.entry(offset)?.appendedAt;
  }

  offsetAfterBytes(from: number, need: number): number {
    let sum = 0;
    for (let o = from; o < this.end; o++) {
      sum += this.sizeOf(o);
      if (sum >= need) return o + 1;
    }
    return this.end;
  }

  firstNotOlderThan(from: number, cutoff: number): number {
    for (let o = from; o < this.end; o++) if (this.entry(o)!.appendedAt >= cutoff) return o;
    return this.end;
  }

  release(offset: number): void {
    const n = Math.min(offset, this.end) - this.start;
    if (n <= 0) return;
    for (let i = this.head; i < this.head + n; i++) this.entries[i] = undefined as unknown as Entry;
    this.head += n;
    this.start += n;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

/** A DurableLog held in memory. Bounds and the clock work as for openSegmentLog. */
export function createMemoryLog(opts: BoundsOptions = {}): DurableLog {
  return new LogCore(new MemoryStore(), opts, { firstUnacked: 0, dropped: 0 });
}
