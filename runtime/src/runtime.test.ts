import { describe, expect, it } from 'vitest';
import { backoffDelay, ManualClock, seededRandom, sleep } from './index.js';

describe('ManualClock', () => {
  it('runs due timers in time order, with now() at each due time, and nothing early', () => {
    const clock = new ManualClock(1000);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    const c = clock.setTimeout(() => seen.push('cancelled'), 15);
    clock.clearTimeout(c);
    clock.advance(9);
    expect(seen).toEqual([]);
    clock.advance(11);
    expect(seen).toEqual(['a@1010', 'b@1020']);
    expect(clock.now()).toBe(1020);
    expect(clock.pending).toBe(0);
  });

  it('runs a timer set by a timer when it falls inside the same advance', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const tick = (): void => {
      seen.push(clock.now());
      if (seen.length < 5) clock.setTimeout(tick, 100);
    };
    clock.setTimeout(tick, 100);
    clock.advance(350);
    expect(seen).toEqual([100, 200, 300]);
    clock.advance(1000);
    expect(seen).toEqual([100, 200, 300, 400, 500]);
  });

  it('sleep resolves on the clock, and at once on abort', async () => {
    const clock = new ManualClock();
    let done = false;
    const p = sleep(clock, 50).then(() => {
      done = true;
    });
    await clock.advanceAsync(49);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await p;
    expect(done).toBe(true);
    const ac = new AbortController();
    const q = sleep(clock, 1e9, ac.signal);
    ac.abort();
    await q;
    expect(clock.pending).toBe(0);
  });
});

describe('backoffDelay', () => {
  it('doubles from initialMs up to maxMs, jitter spreading ±jitter/2 around it', () => {
    const none = { initialMs: 100, maxMs: 1000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, none, Math.random))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    const p = { initialMs: 1000, maxMs: 1000, jitter: 0.2 };
    expect(backoffDelay(1, p, () => 0)).toBe(900);
    expect(backoffDelay(1, p, () => 0.999999)).toBe(1100);
    expect(backoffDelay(0, { initialMs: 100, maxMs: 1000, factor: 3, jitter: 0 }, Math.random)).toBe(100);
  });
});

describe('seededRandom', () => {
  it('is repeatable for a seed, differs between seeds, and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.slice(0, 5)).not.toEqual(Array.from({ length: 5 }, () => c()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    // mulberry32's published first output for seed 42 (same integer the simulators' copy gave)
    expect(Math.round(seededRandom(42)() * 0x1_0000_0000)).toBe(2581720956);
  });
});
