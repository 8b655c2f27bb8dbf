/**
 * The synchronous file-system calls the segment log makes, as an injectable facade. Production
 * code uses node:fs; tests wrap it to inject faults (a full disk, a failing fsync) without
 * needing a tiny tmpfs.
 */
import * as fs from 'node:fs';

export type LogFs = Pick<
  typeof fs,
  | 'openSync'
  | 'closeSync'
  | 'readSync'
  | 'writeSync'
  | 'ftruncateSync'
  | 'fdatasyncSync'
  | 'fsyncSync'
  | 'fstatSync'
  | 'readdirSync'
  | 'readFileSync'
  | 'writeFileSync'
  | 'renameSync'
  | 'unlinkSync'
  | 'mkdirSync'
> &
  /** the interval fsync runs it on libuv's thread pool when present (else fdatasyncSync) */
  Partial<Pick<typeof fs, 'fdatasync'>>;

export const nodeFs: LogFs = fs;
