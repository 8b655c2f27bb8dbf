import { describe, expect, it } from 'vitest';
import { namedReason, type SendOutcome, sendIsolating } from './isolate.js';

/** A fake store (fault injection): refuses lines containing "BAD"; names them if `names`. */
function fakeStore(names: boolean) {
  const stored = new Set<string>();
  let requests = 0;
  const send = async (lines: string[]): Promise<SendOutcome> => {
    requests++;
    const bad = lines.filter((l) => l.includes('BAD'));
    if (bad.length === 0) {
      for (const l of lines) stored.add(l);
      return { ok: true };
    }
    return {
      ok: false,
      message: names
        ? `partial write: ${bad.map((l) => `unable to parse '${l}': invalid field format`).join('\n')} dropped=0`
        : 'partial write: field type conflict dropped=1',
    };
  };
  return { send, stored, requests: () => requests };
}

const items = (lines: string[]) => lines.map((line, index) => ({ index, line }));

describe('sendIsolating', () => {
  const lines = Array.from({ length: 64 }, (_, i) => (i === 9 || i === 40 ? `m BAD=${i}` : `m f=${i} ${i}`));

  it('rejects the lines the store names and writes the rest in one more request', async () => {
    const s = fakeStore(true);
    const rejected = await sendIsolating(items(lines), s.send);
    expect(rejected.map((r) => r.index)).toEqual([9, 40]);
    expect(rejected[0]?.reason).toBe('unable to parse: invalid field format');
    expect(s.stored.size).toBe(62);
    expect(s.requests()).toBe(2);
  });

  it('bisects when the store does not name the line', async () => {
    const s = fakeStore(false);
    const rejected = await sendIsolating(items(lines), s.send);
    expect(rejected.map((r) => r.index)).toEqual([9, 40]);
    expect(s.stored.size).toBe(62);
    expect(s.requests()).toBeLessThanOrEqual(2 * 2 * Math.log2(64) + 1);
  });

  it('namedReason reads the reason up to the next line or dropped=', () => {
    expect(namedReason("unable to parse 'x y': bad thing\nunable to parse 'z': other", 'x y')).toBe(
      'unable to parse: bad thing',
    );
    expect(namedReason("unable to parse 'z': other dropped=0", 'z')).toBe('unable to parse: other');
    expect(namedReason('field type conflict', 'z')).toBeUndefined();
  });
});
