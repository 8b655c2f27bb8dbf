/**
 * DiskPersistence passes Aedes' own abstract persistence suite (the contract every Aedes
 * persistence implements), run under node:test in a child process against the built dist/.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SUITE = fileURLToPath(new URL('./disk-persistence-abstract.node.mjs', import.meta.url));

describe('DiskPersistence', () => {
  it("passes aedes-persistence's abstract suite", async () => {
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, ['--test', SUITE], { timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
      });
    });
    expect(r.out).toMatch(/# fail 0/);
    expect(r.out).toMatch(/# pass [1-9]\d*/);
    expect(r.code).toBe(0);
  });
});
