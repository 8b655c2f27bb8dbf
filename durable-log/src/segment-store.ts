/**
 * The segment files of one log directory as a RecordStore: appends go to the last (tail)
 * segment with one positioned writeSync per batch; a new segment starts when the tail would
 * pass segmentBytes; segments wholly below the cursor are deleted (never the tail).
 */
import { DurableLogError, isDiskFull } from './errors.js';
import type { LogFs } from './fs-facade.js';
import { MAX_RECORD_BYTES, RECORD_HEADER_BYTES, writeHeader } from './record-format.js';
import type { RecordStore } from './record-store.js';
import { readFully, Segment } from './segment.js';
import type { LogRecord, ReadLimits } from './types.js';

export interface SegmentStoreOptions {
  dir: string;
  fs: LogFs;
  segmentBytes: number;
  /** fdatasync after every append (fsync: 'always'). */
  syncEachAppend: boolean;
  /** fdatasync the old tail and fsync the directory when rolling (any policy but 'never'). */
  syncOnRoll: boolean;
}

const SCRATCH_KEEP = 1 << 20;

export class SegmentStore implements RecordStore {
  /** Called after a new segment file was created (the owner persists its meta file then). */
  onRoll: (() => void) | undefined;
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private dirty = false;
  private last = 0;
  /**
   * The segment whose fdatasync is running on libuv's thread pool (syncInBackground), if any.
   * Its fd is never closed while that runs (a reused fd number would be synced instead, or the
   * call would fail): a release or close in the meantime leaves the closing to its callback.
   */
  private syncing: Segment | undefined;
  private closeWhenSynced = false;
  /** an interval tick came while the background sync ran: sync again as soon as it ends */
  private syncMissed = false;
  private closed = false;

  /** `segments` is non-empty and sorted by base; the last one is the tail. */
  constructor(
    private readonly opts: SegmentStoreOptions,
    private readonly segments: Segment[],
  ) {}

  get start(): number {
    return this.segments[0]!.base;
  }

  get end(): number {
    return this.tail.end;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  private get tail(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  append(payloads: readonly Uint8Array[], appendedAt: number): number {
    let total = 0;
    for (const p of payloads) {
      if (p.length > MAX_RECORD_BYTES) {
        throw new DurableLogError('GZ_LOG_RECORD_TOO_LARGE', `record of ${p.length} bytes exceeds 1 GiB`);
      }
      total += RECORD_HEADER_BYTES + p.length;
    }
    if (this.tail.size > 0 && this.tail.size + total > this.opts.segmentBytes) this.roll();
    const seg = this.tail;
    const buf = total <= this.scratch.length ? this.scratch : Buffer.allocUnsafe(total);
    let at = 0;
    for (const p of payloads) {
      writeHeader(buf, at, p, appendedAt);
      buf.set(p, at + RECORD_HEADER_BYTES);
      at += RECORD_HEADER_BYTES + p.length;
    }
    const { fs } = this.opts;
    try {
      let done = 0;
      while (done < total) {
        const n = fs.writeSync(seg.fd, buf, done, total - done, seg.size + done);
        if (n <= 0) throw Object.assign(new Error('write returned 0 bytes'), { code: 'ENOSPC' });
        done += n;
      }
      if (this.opts.syncEachAppend) fs.fdatasyncSync(seg.fd);
    } catch (err) {
      // Cut whatever part of the batch reached the file; if even that fails, the next append
      // overwrites the same position and recovery cuts any leftover as a torn tail.
      try {
        fs.ftruncateSync(seg.fd, seg.size);
      } catch {}
      throw ioError(err, `appending ${payloads.length} record(s) to ${seg.path}`);
    }
    if (buf !== this.scratch && total <= SCRATCH_KEEP) this.scratch = buf;
    const first = seg.end;
    let pos = seg.size;
    for (const p of payloads) {
      seg.push(pos, appendedAt);
      pos += RECORD_HEADER_BYTES + p.length;
    }
    seg.size = pos;
    this.dirty = !this.opts.syncEachAppend;
    return first;
  }

  /**
   * fdatasync the tail now if anything was written since the last sync, or if a background
   * sync is still running (what it covers is not known to be on disk until it ends).
   */
  sync(): void {
    if (!this.dirty && this.syncing === undefined) return;
    this.dirty = false;
    this.opts.fs.fdatasyncSync(this.tail.fd);
  }

  /**
   * fdatasync the tail off the main thread (libuv's thread pool) if anything was written since
   * the last sync and no background sync is running; without an async fdatasync in the file
   * system facade, synchronously. `done` is called with the error when it fails: the tail is
   * dirty again then, so the next call retries.
   */
  syncInBackground(done: (err: unknown) => void): void {
    const fdatasync = this.opts.fs.fdatasync;
    if (fdatasync === undefined) {
      try {
        this.sync();
      } catch (err) {
        done(err);
      }
      return;
    }
    if (this.closed) return;
    if (this.syncing !== undefined) {
      this.syncMissed = true;
      return;
    }
    if (!this.dirty) return;
    const seg = this.tail;
    this.dirty = false;
    this.syncing = seg;
    fdatasync(seg.fd, (err) => {
      this.syncing = undefined;
      if (this.closeWhenSynced) {
        this.closeWhenSynced = false;
        try {
          this.opts.fs.closeSync(seg.fd);
        } catch {}
      }
      if (err) {
        if (seg === this.tail) this.dirty = true;
        done(err);
      }
      // what was appended while it ran waits no longer than one more sync (not a whole interval)
      if (this.syncMissed) {
        this.syncMissed = false;
        this.syncInBackground(done);
      }
    });
  }

  /** Closes a segment's file now, or when its background sync ends. */
  private closeFd(seg: Segment): void {
    if (seg === this.syncing) {
      this.closeWhenSynced = true;
      return;
    }
    this.opts.fs.closeSync(seg.fd);
  }

  /** Starts a new tail segment at `base` (>= end; a gap is a hole of lost records). */
  roll(base = this.end): void {
    const { fs, dir } = this.opts;
    const old = this.tail;
    // a background sync still running on the old tail counts as not synced: the old segment
    // is complete on disk before the new one exists
    if (this.opts.syncOnRoll && (this.dirty || this.syncing === old)) {
      try {
        fs.fdatasyncSync(old.fd);
        this.dirty = false;
      } catch (err) {
        throw ioError(err, `syncing ${old.path}`);
      }
    }
    const path = Segment.fileIn(dir, base);
    let fd: number;
    try {
      fd = fs.openSync(path, 'w+');
    } catch (err) {
      throw ioError(err, `creating ${path}`);
    }
    if (this.opts.syncOnRoll) syncDir(fs, dir);
    this.segments.push(new Segment(base, path, fd));
    this.onRoll?.();
  }

  read(offset: number, limits: ReadLimits): LogRecord[] {
    const out: LogRecord[] = [];
    const maxRecords = limits.records ?? Number.POSITIVE_INFINITY;
    const maxBytes = limits.bytes ?? Number.POSITIVE_INFINITY;
    let bytes = 0;
    let o = offset;
    for (let s = this.find(offset); s < this.segments.length && out.length < maxRecords; s++) {
      const seg = this.segments[s]!;
      const i = Math.max(o, seg.base) - seg.base;
      if (i >= seg.count) continue;
      let j = i;
      let full = false;
      while (j < seg.count && out.length + (j - i) < maxRecords) {
        const len = seg.posAt(j + 1) - seg.posAt(j) - RECORD_HEADER_BYTES;
        if (out.length + (j - i) > 0 && bytes + len > maxBytes) {
          full = true;
          break;
        }
        bytes += len;
        j++;
      }
      if (j > i) {
        const from = seg.posAt(i);
        const buf = Buffer.allocUnsafe(seg.posAt(j) - from);
        let got: number;
        try {
          got = readFully(this.opts.fs, seg.fd, buf, buf.length, from);
        } catch (err) {
          throw ioError(err, `reading ${seg.path}`);
        }
        if (got !== buf.length)
          throw new DurableLogError('GZ_LOG_IO', `${seg.path} is shorter than expected`);
        for (let k = i; k < j; k++) {
          const at = seg.posAt(k) - from + RECORD_HEADER_BYTES;
          const end = seg.posAt(k + 1) - from;
          out.push({ offset: seg.base + k, payload: buf.subarray(at, end), appendedAt: seg.tsAt(k) });
        }
      }
      if (full) break;
      o = seg.base + j;
    }
    return out;
  }

  sizeOf(offset: number): number {
    const seg = this.segments[this.find(offset)]!;
    const i = offset - seg.base;
    return i >= 0 && i < seg.count ? seg.posAt(i + 1) - seg.posAt(i) : 0;
  }

  rangeBytes(from: number, to: number): number {
    let sum = 0;
    for (let s = this.find(from); s < this.segments.length; s++) {
      const seg = this.segments[s]!;
      if (seg.base >= to) break;
      const i = clamp(from - seg.base, 0, seg.count);
      const j = clamp(to - seg.base, 0, seg.count);
      sum += seg.posAt(j) - seg.posAt(i);
    }
    return sum;
  }

  appendedAt(offset: number): number | undefined {
    const seg = this.segments[this.find(offset)]!;
    const i = offset - seg.base;
    return i >= 0 && i < seg.count ? seg.tsAt(i) : undefined;
  }

  offsetAfterBytes(from: number, need: number): number {
    let left = need;
    for (let s = this.find(from); s < this.segments.length; s++) {
      const seg = this.segments[s]!;
      const i = clamp(from - seg.base, 0, seg.count);
      const startPos = seg.posAt(i);
      if (seg.size - startPos < left) {
        left -= seg.size - startPos;
        continue;
      }
      // smallest k in (i, count] with posAt(k) - startPos >= left
      let lo = i + 1;
      let hi = seg.count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (seg.posAt(mid) - startPos >= left) hi = mid;
        else lo = mid + 1;
      }
      return seg.base + lo;
    }
    return this.end;
  }

  firstNotOlderThan(from: number, cutoff: number): number {
    for (let s = this.find(from); s < this.segments.length; s++) {
      const seg = this.segments[s]!;
      for (let k = clamp(from - seg.base, 0, seg.count); k < seg.count; k++) {
        if (seg.tsAt(k) >= cutoff) return seg.base + k;
      }
    }
    return this.end;
  }

  release(offset: number): void {
    while (this.segments.length > 1 && this.segments[0]!.end <= offset) {
      const seg = this.segments.shift()!;
      this.last = 0;
      try {
        this.closeFd(seg);
        this.opts.fs.unlinkSync(seg.path);
      } catch {
        // A segment that could not be deleted reappears on the next open entirely below the
        // persisted cursor, and is deleted then.
      }
    }
  }

  /** Closes every file (after a final sync when `sync` is true). */
  close(sync: boolean): void {
    if (sync) this.sync();
    this.closed = true;
    for (const seg of this.segments) {
      try {
        this.closeFd(seg);
      } catch {}
    }
  }

  /** Index of the segment holding `offset` (or the last one starting at or below it, or 0). */
  private find(offset: number): number {
    const segs = this.segments;
    const c = segs[this.last];
    if (c && c.base <= offset && (offset < c.end || this.last === segs.length - 1)) return this.last;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (segs[mid]!.base <= offset) lo = mid;
      else hi = mid - 1;
    }
    this.last = lo;
    return lo;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(x, hi));
}

/** fsync a directory so created/renamed/deleted entries survive a power cut. */
export function syncDir(fs: LogFs, dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the data files are synced regardless.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function ioError(err: unknown, what: string): DurableLogError {
  if (err instanceof DurableLogError) return err;
  const code = (err as { code?: string } | null)?.code ?? 'unknown';
  if (isDiskFull(err)) {
    return new DurableLogError('GZ_LOG_DISK_FULL', `disk full (${code}) while ${what}`, {
      cause: err,
      retriable: true,
    });
  }
  return new DurableLogError('GZ_LOG_IO', `I/O error (${code}) while ${what}`, { cause: err });
}
