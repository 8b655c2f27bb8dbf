/**
 * The log's small meta file (`cursor.json`): the persisted cursor, the next-offset floor and
 * the dropped counter. Replaced atomically (write a temp file, optionally fdatasync it,
 * rename over the old one), so a crash leaves either the old or the new version.
 */
import { join } from 'node:path';
import type { LogFs } from './fs-facade.js';

export const META_FILE = 'cursor.json';
const META_TMP = 'cursor.json.tmp';

export interface LogMeta {
  v: 1;
  /** Every record below this was acknowledged or dropped. */
  firstUnacked: number;
  /** Offsets below this were handed out; a reopened log never gives them out again. */
  nextOffset: number;
  /** Records dropped by the bounds (or lost to corruption) since the log was created. */
  dropped: number;
}

/** Reads the meta file; undefined when missing or unreadable (the log then redelivers from its oldest record). */
export function readMeta(fs: LogFs, dir: string): LogMeta | undefined {
  let text: string;
  try {
    text = fs.readFileSync(join(dir, META_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as Partial<LogMeta>;
    const ok = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
    if (m.v !== 1 || !ok(m.firstUnacked) || !ok(m.nextOffset) || !ok(m.dropped)) return undefined;
    return { v: 1, firstUnacked: m.firstUnacked, nextOffset: m.nextOffset, dropped: m.dropped };
  } catch {
    return undefined;
  }
}

/** Atomically replaces the meta file. Throws the fs error (the caller decides whether it matters). */
export function writeMeta(fs: LogFs, dir: string, meta: LogMeta, sync: boolean): void {
  const tmp = join(dir, META_TMP);
  const fd = fs.openSync(tmp, 'w');
  try {
    const buf = Buffer.from(JSON.stringify(meta) + '\n');
    let done = 0;
    while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, done);
    if (sync) fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, join(dir, META_FILE));
}
