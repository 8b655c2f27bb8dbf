// The scanner checks point names character by character (hot path) instead of with the
// contract's POINT_NAME_PATTERN: the two must agree on every string.
import { POINT_NAME_PATTERN } from '@ganzhi/device-profiles/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cursor } from './json-cursor.js';

const nameish = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9_]{0,70}$/),
  fc.string({ unit: fc.constantFrom(...'az09_-A.é"\\'.split('')), maxLength: 70 }),
  fc.constantFrom('', 'a', 'a'.repeat(63), 'a'.repeat(64), '_a', '9a', 'a-b'),
);

describe('Cursor.pointName', () => {
  it('takes exactly the names POINT_NAME_PATTERN takes', () => {
    fc.assert(
      fc.property(nameish, (name) => {
        const text = JSON.stringify(name);
        const cur = new Cursor(text);
        const got = cur.pointName();
        if (POINT_NAME_PATTERN.test(name)) {
          expect(got).toBe(name);
          expect(cur.pos).toBe(text.length);
        } else expect(got).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });
});
