/**
 * Where records live: segment files on disk or arrays in memory. The store knows positions,
 * sizes and times of the records it holds; LogCore layered on top knows acknowledgements and
 * bounds. Offsets in [start, end) may include holes (records lost to corruption found when a
 * segment log was opened); a hole has size 0 and is never returned by read().
 */
import type { LogRecord, ReadLimits } from './types.js';

export interface RecordStore {
  /** Lowest offset still stored (acked or not). */
  readonly start: number;
  /** Offset the next append gets. */
  readonly end: number;
  readonly segmentCount: number;
  /** Appends in order in one write; returns the first offset. Throws DurableLogError, leaving the store unchanged. */
  append(payloads: readonly Uint8Array[], appendedAt: number): number;
  /** Records from `offset` (>= start) on, skipping holes, within `limits`. */
  read(offset: number, limits: ReadLimits): LogRecord[];
  /** Stored size (payload + header) of one record, 0 for a hole. */
  sizeOf(offset: number): number;
  /** Sum of sizeOf over [from, to). */
  rangeBytes(from: number, to: number): number;
  /** appendedAt of a stored record (undefined for a hole or out of range). */
  appendedAt(offset: number): number | undefined;
  /** Smallest x in (from, end] with rangeBytes(from, x) >= need, or end. */
  offsetAfterBytes(from: number, need: number): number;
  /** First offset >= from whose record is not older than `cutoff` (scanning oldest first), or end. */
  firstNotOlderThan(from: number, cutoff: number): number;
  /** Frees storage below `offset` where that is cheap (whole segments); never the segment being appended to. */
  release(offset: number): void;
}
