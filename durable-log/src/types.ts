/**
 * The durable log's public shapes. A log is an ordered sequence of opaque records, each
 * with a consecutive integer offset; a consumer reads from the first unacknowledged record
 * and acknowledges what it has delivered. Both implementations (segment files on disk, and
 * memory) behave identically as far as these shapes can tell.
 */
import type { Clock } from '@ganzhi/runtime';

export interface LogRecord {
  offset: number;
  payload: Buffer;
  /** Clock time (ms) when the record was appended. */
  appendedAt: number;
}

export interface ReadLimits {
  /** At most this many records (default: unlimited). At least one record is returned if any exists. */
  records?: number;
  /**
   * At most this many payload bytes (default: unlimited). The first record is always returned
   * even when it alone exceeds the limit, so a large record can never wedge a reader.
   */
  bytes?: number;
}

export interface LogStats {
  /** Records appended and neither acknowledged nor dropped. */
  records: number;
  /** Size of those records, each counted as payload + RECORD_HEADER_BYTES. */
  bytes: number;
  /** Age of the oldest unacknowledged record (clock.now() - appendedAt), 0 when empty. */
  oldestAgeMs: number;
  /** Unacknowledged records removed by the maxBytes / maxAgeMs bounds (or lost to corruption) since the log was created. */
  dropped: number;
  /** Segment files on disk (1 for the memory log). */
  segments: number;
  /** Bytes cut from torn or corrupt segment tails when the log was opened (0 for the memory log). */
  truncatedBytes: number;
}

export interface DurableLog {
  /**
   * Appends one record and returns its offset. On return the record is in the kernel's page
   * cache (survives kill -9 of this process); power-loss durability depends on `fsync`.
   * Throws DurableLogError 'GZ_LOG_DISK_FULL' (retriable) when the disk is full; nothing
   * appended earlier is lost then, and the failed record is not in the log.
   */
  append(payload: Uint8Array): number;
  /** Appends records in order with a single write; all or none of them are in the log. */
  appendMany(payloads: readonly Uint8Array[]): number[];
  /**
   * Records from `offset` on (offsets below firstUnacked or dropped are skipped: the first
   * returned record may have a higher offset than asked for), oldest first. Records acked
   * out of order are still returned until the cursor passes them.
   */
  readFrom(offset: number, max?: ReadLimits): LogRecord[];
  /** Acknowledges one record; acks may come in any order. */
  ack(offset: number): void;
  /** Acknowledges every record with an offset <= `offset`. */
  ackThrough(offset: number): void;
  /** Lowest offset not yet acknowledged (== nextOffset when everything is acked). */
  readonly firstUnacked: number;
  /** Offset the next append will get. */
  readonly nextOffset: number;
  stats(): LogStats;
  /** Persists the cursor, syncs according to the fsync policy, releases files and timers. Idempotent. */
  close(): void;
}

/** When appended data are forced to stable storage (see README: what survives a power cut). */
export type FsyncPolicy = 'always' | 'never' | { intervalMs: number };

export interface BoundsOptions {
  /** Upper bound of `stats().bytes`; past it the oldest records are dropped (counted). */
  maxBytes?: number;
  /** Records older than this are dropped (counted). */
  maxAgeMs?: number;
  /** wall-clock time for the age bound and `oldestAgeMs` (only `now()` is read); default systemClock */
  clock?: Pick<Clock, 'now'>;
}
