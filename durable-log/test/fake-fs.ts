/**
 * Fault-injection file systems for tests (fakes, named as such): node:fs with a byte budget
 * after which writes fail with ENOSPC, and call counters for the sync calls.
 */
import * as fs from 'node:fs';
import type { LogFs } from '../src/index.js';

export interface FakeFullDiskFs extends LogFs {
  /** Bytes that may still be written to segment files before ENOSPC (Infinity = unlimited). */
  budget: number;
  /** When true, ftruncate fails too (a disk so broken the log cannot even cut its partial write). */
  failTruncate: boolean;
  /** When true, creating files fails with ENOSPC. */
  failCreate: boolean;
  fdatasyncCalls: number;
}

function enospc(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), {
    code: 'ENOSPC',
    errno: -28,
    syscall,
  });
}

/** Like a real full disk: a write that crosses the budget writes what fits, the next one throws. */
export function fakeFullDiskFs(budget = Number.POSITIVE_INFINITY): FakeFullDiskFs {
  const segmentFds = new Set<number>();
  const fake: FakeFullDiskFs = {
    ...fs,
    budget,
    failTruncate: false,
    failCreate: false,
    fdatasyncCalls: 0,
    writeSync: ((fd: number, buf: Buffer, offset: number, length: number, position: number) => {
      if (!segmentFds.has(fd)) return fs.writeSync(fd, buf, offset, length, position);
      if (fake.budget <= 0) throw enospc('write');
      const n = Math.min(length, fake.budget);
      const written = fs.writeSync(fd, buf, offset, n, position);
      fake.budget -= written;
      return written;
    }) as LogFs['writeSync'],
    ftruncateSync: ((fd: number, len?: number) => {
      if (fake.failTruncate) throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
      fs.ftruncateSync(fd, len);
    }) as LogFs['ftruncateSync'],
    openSync: ((path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      if (fake.failCreate && String(path).endsWith('.seg') && flags === 'w+') throw enospc('open');
      const fd = fs.openSync(path, flags ?? 'r', mode);
      if (String(path).endsWith('.seg')) segmentFds.add(fd);
      return fd;
    }) as LogFs['openSync'],
    closeSync: (fd: number) => {
      segmentFds.delete(fd);
      fs.closeSync(fd);
    },
    fdatasyncSync: (fd: number) => {
      fake.fdatasyncCalls++;
      fs.fdatasyncSync(fd);
    },
    fdatasync: ((fd: number, cb: fs.NoParamCallback) => {
      fake.fdatasyncCalls++;
      fs.fdatasync(fd, cb);
    }) as LogFs['fdatasync'],
  };
  return fake;
}
