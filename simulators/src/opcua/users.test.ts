import { describe, expect, it } from 'vitest';
import { makeUserCheck } from './users.js';

describe('user check', () => {
  it('accepts exactly the configured username/password pairs', () => {
    const ok = makeUserCheck([
      { username: 'a', password: 'pw-a' },
      { username: 'b', password: 'pw-b' },
    ]);
    expect(ok('a', 'pw-a')).toBe(true);
    expect(ok('b', 'pw-b')).toBe(true);
    expect(ok('a', 'pw-b')).toBe(false);
    expect(ok('a', 'pw-a ')).toBe(false);
    expect(ok('c', 'pw-a')).toBe(false);
    expect(makeUserCheck([])('a', 'pw-a')).toBe(false);
  });
});
