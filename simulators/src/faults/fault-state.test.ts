import { describe, expect, it } from 'vitest';
import { FaultState } from './fault-state.js';

const T0 = 1_700_000_000_000;

describe('FaultState', () => {
  it('schedules by after / at / for, relative to the origin or the injection time', () => {
    const f = new FaultState(1, T0);
    f.add({ id: 'a', kind: 'timeout', after: 1000, for: 500 });
    f.add({ id: 'b', kind: 'exception', code: 6, at: new Date(T0 + 5000).toISOString() });
    expect(f.frame(T0 + 999)).toEqual({ delayMs: 0 });
    expect(f.frame(T0 + 1000).action).toBe('timeout');
    expect(f.frame(T0 + 1500)).toEqual({ delayMs: 0 });
    expect(f.frame(T0 + 5000)).toEqual({ delayMs: 0, action: 'exception', code: 6 });
    f.add({ id: 'c', kind: 'drop', after: 100 }, T0 + 10_000);
    expect(f.frame(T0 + 10_050).action).toBe('exception');
    expect(f.frame(T0 + 10_100).action).toBe('drop');
    expect(f.remove('c')).toBe(true);
    expect(f.remove('c')).toBe(false);
  });

  it('latencies add up; the most severe frame action wins', () => {
    const f = new FaultState(1, T0);
    f.add({ kind: 'latency', ms: 100 });
    f.add({ kind: 'latency', ms: 50 });
    f.add({ kind: 'garbled' });
    f.add({ kind: 'timeout' });
    expect(f.frame(T0)).toEqual({ delayMs: 150, action: 'timeout' });
  });

  it('probability hits about that share of requests, the same way for the same seed', () => {
    const run = (seed: number) => {
      const f = new FaultState(seed, T0);
      f.add({ id: 'p', kind: 'timeout', probability: 0.2 });
      return Array.from({ length: 2000 }, () => f.frame(T0).action === 'timeout');
    };
    const a = run(3);
    const hits = a.filter(Boolean).length;
    expect(hits).toBeGreaterThan(320);
    expect(hits).toBeLessThan(480);
    expect(run(3)).toEqual(a);
    expect(run(4)).not.toEqual(a);
  });

  it('value faults are limited to their points; serial faults report per frame', () => {
    const f = new FaultState(1, T0);
    f.add({ kind: 'stuck', points: ['a'], value: 3 });
    f.add({ kind: 'clock-skew', ms: -2000 });
    f.add({ kind: 'partial-line', for: 10 });
    expect(f.value('a', T0).stuck?.spec.value).toBe(3);
    expect(f.value('b', T0).stuck).toBeUndefined();
    expect(f.value('b', T0).skewMs).toBe(-2000);
    expect(f.line(T0).partial).toBe(true);
    expect(f.line(T0 + 10).partial).toBe(false);
  });
});
