/**
 * QueuePersistence (memory mode) and DiskPersistence (disk mode) pass Aedes' own abstract
 * persistence suite (the contract every Aedes persistence implements), each run under node:test
 * in a child process against the built dist/.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const suite = (file: string) => fileURLToPath(new URL(file, import.meta.url));

describe("aedes-persistence's abstract suite", () => {
  it.each([
    ['QueuePersistence', './persistence-abstract.node.mjs'],
    ['DiskPersistence', './disk-persistence-abstract.node.mjs'],
  ])('%s passes it', async (_name, file) => {
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      // the TAP reporter explicitly: Node 23+ defaults to the spec reporter, which has no '# pass N' lines
      execFile(
        process.execPath,
        ['--test', '--test-reporter=tap', suite(file)],
        { timeout: 60_000 },
        (err, stdout, stderr) => {
          resolve({
            code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
            out: `${stdout}${stderr}`,
          });
        },
      );
    });
    expect(r.out).toMatch(/# fail 0/);
    expect(r.out).toMatch(/# pass [1-9]\d*/);
    expect(r.code).toBe(0);
  });
});
