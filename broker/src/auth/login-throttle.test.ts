import { ManualClock } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { LoginThrottle, ThrottleFull } from './login-throttle.js';

/** A hash that finishes when the test says so. */
function gate() {
  const started: string[] = [];
  const finish = new Map<string, () => void>();
  const work = (name: string) => () => {
    started.push(name);
    return new Promise<boolean>((resolve) => finish.set(name, () => resolve(false)));
  };
  const done = async (name: string) => {
    finish.get(name)?.();
    await new Promise((r) => setImmediate(r));
  };
  return { started, work, done };
}

const opts = (clock = new ManualClock(0)) => ({
  clock,
  failuresBeforeBackoff: 3,
  maxBackoffMs: 8000,
  maxConcurrent: 2,
  maxQueued: 10,
  maxQueuedPerAddress: 3,
});

describe('LoginThrottle', () => {
  it('runs at most maxConcurrent hashes and serves waiting addresses in turn, not in arrival order', async () => {
    const t = new LoginThrottle(opts());
    const g = gate();
    const a = t.schedule('10.0.0.1');
    const b = t.schedule('10.0.0.2');
    const runs = ['a1', 'a2', 'a3', 'a4', 'a5'].map((n) => a(g.work(n)).catch((e) => e));
    const late = b(g.work('b1'));
    expect(g.started).toEqual(['a1', 'a2']);
    expect([t.running, t.queued]).toEqual([2, 4]);
    await g.done('a1');
    await g.done('a2');
    expect(g.started).toEqual(['a1', 'a2', 'a3', 'b1']);
    await g.done('b1');
    await late;
    await g.done('a3');
    expect(g.started).toEqual(['a1', 'a2', 'a3', 'b1', 'a4', 'a5']);
    await g.done('a4');
    await g.done('a5');
    await Promise.all(runs);
  });

  it('refuses beyond its share per address and in all, without running the work', async () => {
    const t = new LoginThrottle({ ...opts(), maxQueued: 4 });
    const g = gate();
    const a = t.schedule('10.0.0.1');
    const results = Array.from({ length: 7 }, (_, i) => a(g.work(`a${i}`)).catch((e: unknown) => e));
    const refused = await Promise.all(results.slice(5));
    expect(refused.every((e) => e instanceof ThrottleFull)).toBe(true);
    expect(g.started).toEqual(['a0', 'a1']);
    for (const n of ['a0', 'a1', 'a2', 'a3', 'a4']) await g.done(n);
  });

  it('backs off per address and per user after N failures, doubling up to the maximum; a success clears it', () => {
    const clock = new ManualClock(0);
    const t = new LoginThrottle(opts(clock));
    t.failed('ip', 'u');
    t.failed('ip', 'u');
    expect(t.waitFor('ip', 'other')).toBe(0);
    t.failed('ip', 'u');
    expect(t.waitFor('ip', 'other')).toBe(1000);
    expect(t.waitFor('elsewhere', 'u')).toBe(1000);
    expect(t.waitFor('elsewhere', 'other')).toBe(0);
    clock.advance(1000);
    t.failed('ip', 'u');
    expect(t.waitFor('ip', 'x')).toBe(2000);
    for (let i = 0; i < 5; i++) t.failed('ip', 'u');
    expect(t.waitFor('ip', 'x')).toBe(8000);
    t.succeeded('ip', 'u');
    expect(t.waitFor('ip', 'u')).toBe(0);
  });
});
