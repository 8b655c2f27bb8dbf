/**
 * One segment file: records framed by record-format.ts, appended back to back. The file name
 * carries the offset of its first record (`00000000000000001234.seg`), so offsets survive the
 * deletion of older segments. In memory a segment keeps the file position and appendedAt of
 * each record (16 bytes per record) so reads and bounds never scan the file.
 */
import { join } from 'node:path';
import type { LogFs } from './fs-facade.js';
import { parseRecord, RECORD_HEADER_BYTES } from './record-format.js';

export const SEGMENT_SUFFIX = '.seg';
const SEGMENT_NAME = /^(\d{20})\.seg$/;
const SCAN_CHUNK = 1 << 20;

export function segmentFileName(base: number): string {
  return String(base).padStart(20, '0') + SEGMENT_SUFFIX;
}

/** Base offset from a segment file name, or undefined if it is not one. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return undefined;
  const base = Number(m[1]);
  return Number.isSafeInteger(base) ? base : undefined;
}

export class Segment {
  count = 0;
  /** Bytes of valid records in the file (the next append goes here). */
  size = 0;
  private pos = new Float64Array(256);
  private ts = new Float64Array(256);

  constructor(
    readonly base: number,
    readonly path: string,
    public fd: number,
  ) {}

  static fileIn(dir: string, base: number): string {
    return join(dir, segmentFileName(base));
  }

  /** One past the last offset held. */
  get end(): number {
    return this.base + this.count;
  }

  push(position: number, appendedAt: number): void {
    if (this.count === this.pos.length) {
      const pos = new Float64Array(this.pos.length * 2);
      pos.set(this.pos);
      this.pos = pos;
      const ts = new Float64Array(this.ts.length * 2);
      ts.set(this.ts);
      this.ts = ts;
    }
    this.pos[this.count] = position;
    this.ts[this.count] = appendedAt;
    this.count++;
  }

  /** File position of record index i (i == count gives the end of the valid data). */
  posAt(i: number): number {
    return i < this.count ? this.pos[i]! : this.size;
  }

  tsAt(i: number): number {
    return this.ts[i]!;
  }

  /** Forgets records from index `count` on (used when capping an overlapping segment on open). */
  truncateTo(count: number): void {
    if (count >= this.count) return;
    this.size = this.posAt(count);
    this.count = count;
  }
}

export interface ScanResult {
  /** Bytes of the file holding valid records. */
  validBytes: number;
  /** Why scanning stopped before the end of the file, if it did. */
  reason?: string;
}

/**
 * Reads the whole file, checks every record (length and CRC) and registers each valid one in
 * `seg`. Stops at the first torn or corrupt record: everything from there on is invalid.
 */
export function scanSegment(fs: LogFs, seg: Segment, fileSize: number): ScanResult {
  let buf = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(fileSize, RECORD_HEADER_BYTES)));
  let at = 0;
  while (at < fileSize) {
    const want = Math.min(buf.length, fileSize - at);
    const got = readFully(fs, seg.fd, buf, want, at);
    if (got === 0) {
      seg.size = at;
      return { validBytes: at, reason: `file ended early at byte ${at}` };
    }
    let p = 0;
    for (;;) {
      const r = parseRecord(buf, p, got);
      if (r.kind === 'ok') {
        seg.push(at + p, r.record.appendedAt);
        p += RECORD_HEADER_BYTES + r.record.length;
        if (p === got) break;
        continue;
      }
      if (r.kind === 'bad') {
        seg.size = at + p;
        return { validBytes: at + p, reason: `${r.reason} at byte ${at + p}` };
      }
      // short: the record runs past what we read
      if (at + p + r.need > fileSize) {
        seg.size = at + p;
        return { validBytes: at + p, reason: `record at byte ${at + p} is cut short (torn write)` };
      }
      if (p === 0) buf = Buffer.allocUnsafe(r.need);
      break;
    }
    at += p;
  }
  seg.size = at;
  return { validBytes: at };
}

/** readSync until `length` bytes or end of file; returns the bytes read. */
export function readFully(fs: LogFs, fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
