import { hashPassword, ManualClock } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { OperatorAuth, parseBasic } from './operator-auth.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
const basic = (n: string, p: string) => `Basic ${Buffer.from(`${n}:${p}`).toString('base64')}`;

describe('hub operator authentication', () => {
  it('parses HTTP Basic and refuses anything else', () => {
    expect(parseBasic(basic('alice', 'a:b'))).toEqual({ name: 'alice', password: 'a:b' });
    expect(parseBasic(undefined)).toBeUndefined();
    expect(parseBasic('Bearer x')).toBeUndefined();
    expect(parseBasic(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
    expect(parseBasic(`Basic ${'A'.repeat(5000)}`)).toBeUndefined();
  });

  it('backs off 1 s, 2 s … after 5 failures per name, forgets on success, lets a verified password through', async () => {
    const clock = new ManualClock(1_000_000);
    const auth = new OperatorAuth(
      [
        { name: 'alice', hash: await hashPassword('right', CHEAP), districts: ['north'] },
        { name: 'bob', hash: await hashPassword('bobs', CHEAP), districts: ['south'] },
      ],
      { clock },
    );
    expect((await auth.check(basic('bob', 'bobs'), '10.0.0.2')).ok).toBe(true);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await auth.check(basic('alice', 'wrong'), `10.0.1.${i}`);
      statuses.push(r.ok ? 200 : r.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const during = await auth.check(basic('alice', 'right'), '10.0.2.1');
    expect(during).toMatchObject({ ok: false, status: 429, retryAfterS: 1 });
    clock.advance(1000);
    expect((await auth.check(basic('alice', 'wrong'), '10.0.3.1')).ok).toBe(false); // 6th failure: 2 s
    clock.advance(1000);
    expect(await auth.check(basic('alice', 'right'), '10.0.3.2')).toMatchObject({ status: 429 });
    clock.advance(1000);
    expect((await auth.check(basic('alice', 'right'), '10.0.3.2')).ok).toBe(true);
    // cleared: a wrong password is a plain 401 again
    expect(await auth.check(basic('alice', 'wrong'), '10.0.3.3')).toMatchObject({ status: 401 });
    // an address with 5 failures is refused for other names, except a password verified before
    for (let i = 0; i < 5; i++) await auth.check(basic(`nobody${i}`, 'x'), '10.9.9.9');
    expect(await auth.check(basic('alice', 'right'), '10.9.9.9')).toMatchObject({ ok: true });
    expect(await auth.check(basic('carol', 'x'), '10.9.9.9')).toMatchObject({ status: 429 });
  });
});
