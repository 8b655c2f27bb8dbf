import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeadLetters } from './dead-letter.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'gz-dead-'));
  dirs.push(d);
  return join(d, 'dead-letters.jsonl');
};
const lines = (f: string) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { reason: string; payload?: string });

describe('dead letters: bounded file', () => {
  it('a flood of 64 KiB payloads keeps the file and its .1 within maxBytes each; every letter is counted, kept or dropped', () => {
    const file = tempFile();
    const max = 256 * 1024;
    const dl = createDeadLetters(file, () => 0, max);
    const payload = Buffer.alloc(64 * 1024, 0x61); // kept whole (the payload cap is 64 KiB)
    for (let i = 0; i < 40; i++) dl.add([{ kind: 'limit', reason: `flood ${i}`, topic: 't', payload }]);
    const now = lines(file);
    const before = lines(`${file}.1`);
    expect(readFileSync(file).byteLength).toBeLessThanOrEqual(max);
    expect(readFileSync(`${file}.1`).byteLength).toBeLessThanOrEqual(max);
    // the newest letters are the ones kept, in order, and nothing is both kept and dropped
    expect(now.at(-1)?.reason).toBe('flood 39');
    const kept = [...before, ...now].map((l) => l.reason);
    expect(kept).toEqual(kept.map((_, i) => `flood ${40 - kept.length + i}`));
    expect(dl.counts.limit).toBe(40);
    expect(dl.rotation.dropped + kept.length).toBe(40);
    expect(dl.rotation.rotations).toBeGreaterThan(1);
  });

  it('a restart goes on from the size already on disk; small letters are never rotated early', () => {
    const file = tempFile();
    writeFileSync(file, `${'x'.repeat(60_000)}\n`);
    const dl = createDeadLetters(file, () => 0, 65_536);
    dl.add([{ kind: 'message', reason: 'small', topic: 't' }]);
    expect(dl.rotation.rotations).toBe(0);
    dl.add([{ kind: 'message', reason: 'big', payload: Buffer.alloc(8000, 0x62) }]);
    expect(dl.rotation.rotations).toBe(1);
    expect(lines(file).map((l) => l.reason)).toEqual(['big']);
    expect(readFileSync(`${file}.1`, 'utf8')).toContain('"reason":"small"');
  });
});
