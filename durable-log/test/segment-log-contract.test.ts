import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { type DurableLog, openSegmentLog } from '../src/index.js';
import { durableLogContract } from './contract.js';

const dirs = new WeakMap<DurableLog, string>();
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

// Tiny segments so that every contract case crosses segment boundaries.
const segmentOpts = { segmentBytes: 1024, fsync: 'never' as const };

durableLogContract(
  'segment log',
  (opts) => {
    const dir = tempDir('ganzhi-log-');
    made.push(dir);
    const log = openSegmentLog({ dir, ...segmentOpts, ...opts });
    dirs.set(log, dir);
    return log;
  },
  {
    reopen: (log, opts) => {
      const dir = dirs.get(log)!;
      log.close();
      const again = openSegmentLog({ dir, ...segmentOpts, ...opts });
      dirs.set(again, dir);
      return again;
    },
  },
);
