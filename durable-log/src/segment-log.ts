/**
 * openSegmentLog: the on-disk DurableLog. Composes the segment files (SegmentStore), the
 * acknowledgement/bounds logic (LogCore), the meta file (cursor) and the fsync policy.
 *
 * Opening recovers: every segment is read and CRC-checked, a torn or corrupt tail is cut
 * (the bytes are reported), and offsets that should exist but do not (a power cut with
 * fsync 'never') are counted as lost in `dropped`.
 */
import { lockDir } from './dir-lock.js';
import { DurableLogError } from './errors.js';
import { type LogFs, nodeFs } from './fs-facade.js';
import { LogCore } from './log-core.js';
import { type LogMeta, readMeta, writeMeta } from './meta-file.js';
import { parseSegmentFileName, Segment, scanSegment } from './segment.js';
import { ioError, SegmentStore, syncDir } from './segment-store.js';
import type { BoundsOptions, DurableLog, FsyncPolicy } from './types.js';

export interface SegmentLogOptions extends BoundsOptions {
  /** Directory of the log (created if missing). One process at a time. */
  dir: string;
  /** A new segment file starts when the current one would pass this size (default 16 MiB). */
  segmentBytes?: number;
  /** Default { intervalMs: 1000 }. See README: what survives a power cut. */
  fsync?: FsyncPolicy;
  /** The cursor is written at most this long after it moves (default 1000 ms), and on segment roll and close. */
  cursorSyncMs?: number;
  /** Background failures (interval fsync, cursor write). Appends report theirs by throwing. */
  onError?: (err: DurableLogError) => void;
  /** File-system facade (tests inject faults through it). */
  fs?: LogFs;
}

export interface RecoveryReport {
  /** Bytes cut from torn or corrupt segment tails. */
  truncatedBytes: number;
  /** Unacknowledged offsets whose records were not found (counted in stats().dropped). */
  lostRecords: number;
  /** What was repaired, one line per file. */
  problems: string[];
  /** False when the cursor file was missing or unreadable: delivery restarts at the oldest record. */
  cursorFound: boolean;
}

export interface SegmentLog extends DurableLog {
  readonly recovery: RecoveryReport;
  /** fdatasync appended data now (what the interval timer does). */
  sync(): void;
}

export const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

export function openSegmentLog(opts: SegmentLogOptions): SegmentLog {
  const fs = opts.fs ?? nodeFs;
  const policy = opts.fsync ?? { intervalMs: 1000 };
  const segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const cursorSyncMs = opts.cursorSyncMs ?? 1000;
  checkOptions(policy, segmentBytes, cursorSyncMs, opts);
  const durable = policy !== 'never';
  try {
    fs.mkdirSync(opts.dir, { recursive: true });
  } catch (err) {
    throw ioError(err, `creating ${opts.dir}`);
  }
  let unlock: () => void;
  try {
    unlock = lockDir(fs, opts.dir);
  } catch (err) {
    throw err instanceof DurableLogError ? err : ioError(err, `locking ${opts.dir}`);
  }
  try {
    return new SegmentLogImpl(opts, fs, policy, segmentBytes, cursorSyncMs, durable, unlock);
  } catch (err) {
    unlock();
    throw err instanceof DurableLogError ? err : ioError(err, `opening ${opts.dir}`);
  }
}

class SegmentLogImpl implements SegmentLog {
  readonly recovery: RecoveryReport;
  private readonly store: SegmentStore;
  private readonly core: LogCore;
  private cursorTimer: NodeJS.Timeout | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: SegmentLogOptions,
    private readonly fs: LogFs,
    private readonly policy: FsyncPolicy,
    private readonly segmentBytes: number,
    private readonly cursorSyncMs: number,
    private readonly durable: boolean,
    private readonly unlock: () => void,
  ) {
    const { dir } = opts;
    const meta = readMeta(fs, dir);
    const problems: string[] = [];
    const segments: Segment[] = [];
    try {
      loadSegments(fs, dir, problems, segments);
      ({
        store: this.store,
        core: this.core,
        recovery: this.recovery,
      } = this.recover(meta, segments, problems));
    } catch (err) {
      for (const seg of segments) closeQuietly(fs, seg.fd);
      throw err;
    }
    this.store.onRoll = () => this.persistCursor();
    this.persistCursor();
    if (typeof policy === 'object') {
      this.syncTimer = setInterval(() => this.backgroundSync(), policy.intervalMs);
      this.syncTimer.unref();
    }
  }

  private recover(
    meta: LogMeta | undefined,
    segments: Segment[],
    problems: string[],
  ): { store: SegmentStore; core: LogCore; recovery: RecoveryReport } {
    const { fs, opts, durable } = this;
    const { dir } = opts;
    const floor = Math.max(meta?.nextOffset ?? 0, meta?.firstUnacked ?? 0);
    if (segments.length === 0) {
      const path = Segment.fileIn(dir, floor);
      segments.push(new Segment(floor, path, fs.openSync(path, 'w+')));
      if (durable) syncDir(fs, dir);
    }
    const holes: [number, number][] = [];
    for (let i = 0; i + 1 < segments.length; i++) {
      const a = segments[i]!;
      const b = segments[i + 1]!;
      if (a.end < b.base) holes.push([a.end, b.base]);
    }
    const store = new SegmentStore(
      {
        dir,
        fs,
        segmentBytes: this.segmentBytes,
        syncEachAppend: this.policy === 'always',
        syncOnRoll: durable,
      },
      segments,
    );
    if (store.end < floor) {
      holes.push([store.end, floor]);
      store.roll(floor);
    }
    const firstUnacked = Math.max(meta?.firstUnacked ?? 0, store.start);
    let lostRecords = 0;
    for (const [lo, hi] of holes) lostRecords += Math.max(0, hi - Math.max(lo, firstUnacked));
    if (lostRecords > 0)
      problems.push(`${lostRecords} unacknowledged record(s) missing (counted as dropped)`);
    const truncatedBytes = segments.reduce((n, s) => n + ((s as CutSegment).cut ?? 0), 0);
    const recovery = { truncatedBytes, lostRecords, problems, cursorFound: meta !== undefined };
    const core = new LogCore(
      store,
      opts,
      { firstUnacked, dropped: meta?.dropped ?? 0, lost: offsetsIn(holes) },
      {
        onCursorMoved: () => this.scheduleCursor(),
        onClose: () => this.shutdown(),
        truncatedBytes,
      },
    );
    return { store, core, recovery };
  }

  get firstUnacked(): number {
    return this.core.firstUnacked;
  }
  get nextOffset(): number {
    return this.core.nextOffset;
  }
  append(payload: Uint8Array): number {
    return this.core.append(payload);
  }
  appendMany(payloads: readonly Uint8Array[]): number[] {
    return this.core.appendMany(payloads);
  }
  readFrom(offset: number, max?: { records?: number; bytes?: number }) {
    return this.core.readFrom(offset, max);
  }
  ack(offset: number): void {
    this.core.ack(offset);
  }
  ackThrough(offset: number): void {
    this.core.ackThrough(offset);
  }
  stats() {
    return this.core.stats();
  }
  sync(): void {
    if (this.core.isClosed) throw new DurableLogError('GZ_LOG_CLOSED', 'the durable log is closed');
    try {
      this.store.sync();
    } catch (err) {
      throw ioError(err, `syncing ${this.opts.dir}`);
    }
  }
  close(): void {
    this.core.close();
  }

  /** The interval fsync: on libuv's thread pool, so the event loop does not wait for the disk. */
  private backgroundSync(): void {
    this.store.syncInBackground((err) => this.opts.onError?.(ioError(err, `syncing ${this.opts.dir}`)));
  }

  private scheduleCursor(): void {
    if (this.cursorTimer || this.core === undefined || this.core.isClosed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      this.persistCursor();
    }, this.cursorSyncMs);
    this.cursorTimer.unref();
  }

  /** Writes the meta file now; a failure is reported and retried at the next cursor move. */
  private persistCursor(): void {
    if (this.core === undefined) return;
    try {
      writeMeta(
        this.fs,
        this.opts.dir,
        {
          v: 1,
          firstUnacked: this.core.firstUnacked,
          nextOffset: this.core.nextOffset,
          dropped: this.core.dropped,
        },
        this.durable,
      );
    } catch (err) {
      this.opts.onError?.(ioError(err, `writing the cursor of ${this.opts.dir}`));
    }
  }

  private shutdown(): void {
    clearTimeout(this.cursorTimer);
    clearInterval(this.syncTimer);
    this.cursorTimer = undefined;
    try {
      this.persistCursor();
      this.store.close(this.durable);
    } catch (err) {
      this.opts.onError?.(ioError(err, `closing ${this.opts.dir}`));
    } finally {
      this.unlock();
    }
  }
}

type CutSegment = Segment & { cut?: number };

/** Opens and checks every segment file of `dir` into `segments`, cutting torn or corrupt tails. */
function loadSegments(fs: LogFs, dir: string, problems: string[], segments: CutSegment[]): void {
  const names = fs.readdirSync(dir);
  const bases = names
    .map((n) => parseSegmentFileName(n))
    .filter((b): b is number => b !== undefined)
    .sort((a, b) => a - b);
  for (const base of bases) {
    const path = Segment.fileIn(dir, base);
    const seg: CutSegment = new Segment(base, path, fs.openSync(path, 'r+'));
    segments.push(seg);
    const size = fs.fstatSync(seg.fd).size;
    const r = scanSegment(fs, seg, size);
    if (r.validBytes < size) {
      fs.ftruncateSync(seg.fd, r.validBytes);
      seg.cut = size - r.validBytes;
      problems.push(`${path}: cut ${seg.cut} byte(s): ${r.reason ?? 'trailing bytes'}`);
    }
  }
  // A segment may not run into the next one's offsets (only possible after outside tampering).
  for (let i = 0; i + 1 < segments.length; i++) {
    const a = segments[i]!;
    const b = segments[i + 1]!;
    if (a.end > b.base) {
      const before = a.size;
      a.truncateTo(b.base - a.base);
      fs.ftruncateSync(a.fd, a.size);
      a.cut = (a.cut ?? 0) + before - a.size;
      problems.push(`${a.path}: cut ${before - a.size} byte(s) overlapping ${b.path}`);
    }
  }
}

function closeQuietly(fs: LogFs, fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {}
}

function* offsetsIn(ranges: [number, number][]): Iterable<number> {
  for (const [lo, hi] of ranges) for (let o = lo; o < hi; o++) yield o;
}

function checkOptions(
  policy: FsyncPolicy,
  segmentBytes: number,
  cursorSyncMs: number,
  bounds: BoundsOptions,
): void {
  const bad = (m: string) => new DurableLogError('GZ_LOG_BAD_OPTIONS', m);
  if (policy !== 'always' && policy !== 'never') {
    if (typeof policy !== 'object' || !(policy.intervalMs > 0)) {
      throw bad(`fsync must be 'always', 'never' or { intervalMs > 0 }, got ${JSON.stringify(policy)}`);
    }
  }
  if (!(segmentBytes >= 64)) throw bad(`segmentBytes must be >= 64, got ${segmentBytes}`);
  if (!(cursorSyncMs >= 0)) throw bad(`cursorSyncMs must be >= 0, got ${cursorSyncMs}`);
  if (bounds.maxBytes !== undefined && !(bounds.maxBytes > 0))
    throw bad(`maxBytes must be > 0, got ${bounds.maxBytes}`);
  if (bounds.maxAgeMs !== undefined && !(bounds.maxAgeMs > 0))
    throw bad(`maxAgeMs must be > 0, got ${bounds.maxAgeMs}`);
}
