/**
 * kill -9 of a process in the middle of an append loop: every offset the child saw returned
 * from append/appendMany must be readable, intact and in order after reopening. The child
 * runs the built package (dist/), so `npx tsc -b` must have run (npm test does it).
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type Spawned, spawnLogged, tempDir, waitFor } from '../../test-support/process.js';
import { openSegmentLog, type SegmentLog } from '../src/index.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/append-loop.mjs', import.meta.url));

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function printedOffsets(out: string): number[] {
  const lines = out.split('\n');
  lines.pop(); // the last line may be cut short by the kill (or is the empty string after '\n')
  return lines.map(Number);
}

describe('kill -9 mid append loop', () => {
  it('built package present (run `npx tsc -b` first)', () => {
    expect(existsSync(dist)).toBe(true);
  });

  for (const fsync of ['never', '50'] as const) {
    it(`keeps every record whose offset was returned (fsync ${fsync === 'never' ? "'never'" : '{ intervalMs: 50 }'})`, async () => {
      const dir = tempDir('ganzhi-log-kill-');
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const logDir = `${dir}/log`;
      let printed: number[] = [];
      // Two rounds: the second starts on the log the first one was killed over.
      for (let round = 0; round < 2; round++) {
        const proc: Spawned = spawnLogged(
          process.execPath,
          [child, pathToFileURL(dist).href, logDir, fsync],
          { dir, name: `child-${round}` },
        );
        cleanup.push(() => proc.kill9());
        // ~5000 printed offsets (a line is at most 7 bytes here), then kill at whatever point it is at
        await waitFor('the child to append', () => statSync(proc.logFile).size > 35_000, 20_000, 10);
        await proc.kill9();
        const now = printedOffsets(readFileSync(proc.logFile, 'utf8'));
        expect(now.length).toBeGreaterThan(5000);
        printed = printed.concat(now);
      }
      const log: SegmentLog = openSegmentLog({ dir: logDir, fsync: 'never' });
      cleanup.push(() => log.close());
      const last = printed.at(-1)!;
      expect(log.nextOffset).toBeGreaterThan(last);
      // Offsets printed by the two rounds continue each other, without reuse.
      expect(printed.every((o, i) => i === 0 || o > printed[i - 1]!)).toBe(true);
      const bad: string[] = [];
      let from = 0;
      while (from <= last) {
        const batch = log.readFrom(from, { records: 5000 });
        if (batch.length === 0) break;
        for (const r of batch) {
          const n = JSON.parse(r.payload.toString()).n;
          if (r.offset !== from || n !== r.offset) bad.push(`offset ${r.offset} (wanted ${from}) holds ${n}`);
          from = r.offset + 1;
        }
      }
      expect(bad.slice(0, 5)).toEqual([]);
      expect(from).toBeGreaterThan(last);
      expect(log.recovery.lostRecords).toBe(0);
    });
  }
});
