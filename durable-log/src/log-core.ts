/**
 * Acknowledgements, bounds and statistics over a RecordStore — the part of a DurableLog that
 * the memory and the segment implementations share, so both behave identically.
 *
 * The cursor (firstUnacked) advances over the contiguous acknowledged prefix; acks above it
 * are remembered in a set until the cursor reaches them. Bounds drop the oldest unacknowledged
 * records and count each one in `dropped`.
 */

import { type Clock, systemClock } from '@ganzhi/runtime';
import { DurableLogError } from './errors.js';
import { RECORD_HEADER_BYTES } from './record-format.js';
import type { RecordStore } from './record-store.js';
import type { BoundsOptions, DurableLog, LogRecord, LogStats, ReadLimits } from './types.js';

export interface CoreHooks {
  /** The cursor moved or records were dropped (persist lazily). */
  onCursorMoved?(): void;
  /** Called once by close(), before the store is released. */
  onClose?(): void;
  /** Extra figures for stats(). */
  truncatedBytes?: number;
}

export interface CoreState {
  firstUnacked: number;
  dropped: number;
  /** Offsets >= firstUnacked to treat as already gone (holes found on open). Counted as dropped. */
  lost?: Iterable<number>;
}

export class LogCore implements DurableLog {
  private first: number;
  /** Acked offsets above `first`. */
  private readonly ackedAbove = new Set<number>();
  private ackedAboveBytes = 0;
  /** rangeBytes(first, end), kept incrementally. */
  private liveBytes: number;
  private droppedCount: number;
  private closed = false;
  private readonly clock: Pick<Clock, 'now'>;

  constructor(
    private readonly store: RecordStore,
    private readonly bounds: BoundsOptions,
    state: CoreState,
    private readonly hooks: CoreHooks = {},
  ) {
    if (bounds.maxBytes !== undefined && !(bounds.maxBytes > 0)) {
      throw new DurableLogError('GZ_LOG_BAD_OPTIONS', `maxBytes must be > 0, got ${bounds.maxBytes}`);
    }
    if (bounds.maxAgeMs !== undefined && !(bounds.maxAgeMs > 0)) {
      throw new DurableLogError('GZ_LOG_BAD_OPTIONS', `maxAgeMs must be > 0, got ${bounds.maxAgeMs}`);
    }
    this.clock = bounds.clock ?? systemClock;
    this.first = Math.min(Math.max(state.firstUnacked, store.start), store.end);
    this.droppedCount = state.dropped;
    this.liveBytes = store.rangeBytes(this.first, store.end);
    for (const o of state.lost ?? []) {
      if (o >= this.first && o < store.end && !this.ackedAbove.has(o)) {
        this.ackedAbove.add(o);
        this.ackedAboveBytes += store.sizeOf(o);
        this.droppedCount++;
      }
    }
    this.advance();
    this.enforceBounds();
  }

  get firstUnacked(): number {
    return this.first;
  }

  get nextOffset(): number {
    return this.store.end;
  }

  append(payload: Uint8Array): number {
    return this.appendMany([payload])[0]!;
  }

  appendMany(payloads: readonly Uint8Array[]): number[] {
    this.assertOpen();
    if (payloads.length === 0) return [];
    const max = this.bounds.maxBytes;
    if (max !== undefined) {
      for (const p of payloads) {
        if (p.length + RECORD_HEADER_BYTES > max) {
          throw new DurableLogError(
            'GZ_LOG_RECORD_TOO_LARGE',
            `a record of ${p.length} bytes can never fit in maxBytes=${max}`,
          );
        }
      }
    }
    const before = this.store.end;
    const firstOffset = this.store.append(payloads, this.clock.now());
    this.liveBytes += this.store.rangeBytes(before, this.store.end);
    this.enforceBounds();
    const offsets = new Array<number>(payloads.length);
    for (let i = 0; i < payloads.length; i++) offsets[i] = firstOffset + i;
    return offsets;
  }

  readFrom(offset: number, max: ReadLimits = {}): LogRecord[] {
    this.assertOpen();
    checkOffset(offset, 'readFrom');
    this.enforceBounds();
    const from = Math.max(offset, this.first);
    if (from >= this.store.end) return [];
    if (max.records !== undefined && max.records <= 0) return [];
    return this.store.read(from, max);
  }

  ack(offset: number): void {
    this.assertOpen();
    this.checkAckable(offset, 'ack');
    if (offset < this.first || this.ackedAbove.has(offset)) return;
    if (offset === this.first) {
      this.moveFirst(offset + 1);
      this.advance();
      this.hooks.onCursorMoved?.();
      return;
    }
    this.ackedAbove.add(offset);
    this.ackedAboveBytes += this.store.sizeOf(offset);
  }

  ackThrough(offset: number): void {
    this.assertOpen();
    this.checkAckable(offset, 'ackThrough');
    if (offset < this.first) return;
    this.moveFirst(offset + 1);
    this.advance();
    this.hooks.onCursorMoved?.();
  }

  stats(): LogStats {
    this.assertOpen();
    this.enforceBounds();
    const records = this.store.end - this.first - this.ackedAbove.size;
    const oldest = records > 0 ? this.store.appendedAt(this.first) : undefined;
    return {
      records,
      bytes: this.liveBytes - this.ackedAboveBytes,
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, this.clock.now() - oldest),
      dropped: this.droppedCount,
      segments: this.store.segmentCount,
      truncatedBytes: this.hooks.truncatedBytes ?? 0,
    };
  }

  /** Dropped-record counter, for persistence by the owner. */
  get dropped(): number {
    return this.droppedCount;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hooks.onClose?.();
  }

  /** Applies maxAgeMs then maxBytes, dropping (and counting) the oldest unacknowledged records. */
  private enforceBounds(): void {
    let moved = false;
    const { maxAgeMs, maxBytes } = this.bounds;
    if (maxAgeMs !== undefined && this.first < this.store.end) {
      const cutoff = this.clock.now() - maxAgeMs;
      const t = this.store.appendedAt(this.first);
      if (t !== undefined && t < cutoff) {
        this.dropTo(this.store.firstNotOlderThan(this.first, cutoff));
        moved = true;
      }
    }
    if (maxBytes !== undefined) {
      while (this.liveBytes - this.ackedAboveBytes > maxBytes && this.first < this.store.end) {
        const need = this.liveBytes - this.ackedAboveBytes - maxBytes;
        this.dropTo(this.store.offsetAfterBytes(this.first, need));
        moved = true;
      }
    }
    if (moved) this.hooks.onCursorMoved?.();
  }

  /** Moves the cursor to `to`, counting every unacked record passed as dropped. */
  private dropTo(to: number): void {
    if (to <= this.first) return;
    const passed = to - this.first;
    const ackedBefore = this.ackedAbove.size;
    this.moveFirst(to);
    this.droppedCount += passed - (ackedBefore - this.ackedAbove.size);
    this.advance();
  }

  /** Moves the cursor forward to `to`, forgetting acks below it and releasing storage. */
  private moveFirst(to: number): void {
    const from = this.first;
    if (to <= from) return;
    if (this.ackedAbove.size > 0) {
      if (to - from < this.ackedAbove.size) {
        for (let o = from; o < to; o++) this.forgetAck(o);
      } else {
        for (const o of this.ackedAbove) if (o < to) this.forgetAck(o);
      }
    }
    this.liveBytes -= this.store.rangeBytes(from, to);
    this.first = to;
    this.store.release(to);
  }

  private forgetAck(o: number): void {
    if (this.ackedAbove.delete(o)) this.ackedAboveBytes -= this.store.sizeOf(o);
  }

  /** Advances the cursor over acks (and holes) directly above it. */
  private advance(): void {
    if (!this.ackedAbove.has(this.first)) return;
    let to = this.first;
    while (this.ackedAbove.has(to)) to++;
    this.moveFirst(to);
  }

  private checkAckable(offset: number, what: string): void {
    checkOffset(offset, what);
    if (offset >= this.store.end) {
      throw new DurableLogError(
        'GZ_LOG_BAD_OFFSET',
        `${what}(${offset}): offset was never appended (nextOffset is ${this.store.end})`,
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DurableLogError('GZ_LOG_CLOSED', 'the durable log is closed');
  }
}

function checkOffset(offset: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new DurableLogError(
      'GZ_LOG_BAD_OFFSET',
      `${what}(${offset}): offset must be a non-negative integer`,
    );
  }
}
