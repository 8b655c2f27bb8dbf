import { seededRandom } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { uniformAt } from './prng.js';
import { createSignal } from './signal.js';

const ctx = { seed: 42, origin: 1_000_000 };

describe('signals', () => {
  it('sine spans min..max with the given period', () => {
    const s = createSignal({ kind: 'sine', min: 10, max: 20, periodMs: 4000 }, ctx);
    expect(s.at(ctx.origin)).toBeCloseTo(15);
    expect(s.at(ctx.origin + 1000)).toBeCloseTo(20);
    expect(s.at(ctx.origin + 3000)).toBeCloseTo(10);
    expect(s.at(ctx.origin + 5000)).toBeCloseTo(20);
  });

  it('ramp, square and step follow their definitions', () => {
    const ramp = createSignal({ kind: 'ramp', from: 0, to: 100, periodMs: 1000 }, ctx);
    expect(ramp.at(ctx.origin + 250)).toBeCloseTo(25);
    expect(ramp.at(ctx.origin + 1250)).toBeCloseTo(25);
    const sq = createSignal({ kind: 'square', low: 0, high: 1, periodMs: 1000, duty: 0.25 }, ctx);
    expect([0, 100, 300, 900].map((d) => sq.at(ctx.origin + d))).toEqual([1, 1, 0, 0]);
    const step = createSignal(
      {
        kind: 'step',
        steps: [
          { atMs: 0, value: 1 },
          { atMs: 500, value: 2 },
        ],
        loopMs: 1000,
      },
      ctx,
    );
    expect([0, 499, 500, 1499, 1500].map((d) => step.at(ctx.origin + d))).toEqual([1, 1, 2, 1, 2]);
  });

  it('random walk and noise are deterministic per seed and differ between seeds', () => {
    const spec = { kind: 'random-walk', start: 50, step: 1, min: 0, max: 100 } as const;
    const a = createSignal(spec, ctx);
    const b = createSignal(spec, ctx);
    const c = createSignal(spec, { ...ctx, seed: 43 });
    const times = [5000, 60_000, 2000, 120_000].map((d) => ctx.origin + d);
    const va = times.map((t) => a.at(t));
    expect(times.map((t) => b.at(t))).toEqual(va);
    expect(times.map((t) => c.at(t))).not.toEqual(va);
    // a walk moves at most `step` per tick
    expect(
      Math.abs((a.at(ctx.origin + 6000) as number) - (a.at(ctx.origin + 5000) as number)),
    ).toBeLessThanOrEqual(1);
    const noise = createSignal({ kind: 'noise', mean: 5, amplitude: 2, everyMs: 100 }, ctx);
    for (let i = 0; i < 200; i++) {
      const v = noise.at(ctx.origin + i * 100) as number;
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(7);
    }
    expect(noise.at(ctx.origin + 150)).toBe(noise.at(ctx.origin + 199));
  });

  it('counter only rises, with or without jitter', () => {
    for (const jitter of [0, 0.9]) {
      const s = createSignal({ kind: 'counter', start: 1000, ratePerSecond: 2, jitter }, ctx);
      let prev = s.at(ctx.origin) as number;
      expect(prev).toBe(1000);
      for (let i = 1; i < 500; i++) {
        const v = s.at(ctx.origin + i * 1000) as number;
        expect(v).toBeGreaterThan(prev);
        prev = v;
      }
      if (jitter === 0) expect(prev).toBeCloseTo(1000 + 2 * 499);
    }
  });

  it('replay walks the CSV rows and loops', () => {
    const csv = 'offset_ms,pm25,label\n0,10,a\n1000,20,b\n2000,30,c\n';
    const s = createSignal({ kind: 'replay', csv, column: 'pm25' }, ctx);
    expect([0, 999, 1000, 2500, 3000, 4100].map((d) => s.at(ctx.origin + d))).toEqual([
      10, 10, 20, 30, 10, 20,
    ]);
    const hold = createSignal({ kind: 'replay', csv, column: 2, loop: false }, ctx);
    expect(hold.at(ctx.origin + 99_000)).toBe('c');
    expect(() => createSignal({ kind: 'replay', csv, column: 'nope' }, ctx)).toThrow(/not in pm25, label/);
  });

  it('prng: uniform in [0,1), roughly flat, seeded sequences reproducible', () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const u = uniformAt(7, i);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      buckets[Math.floor(u * 10)]++;
    }
    for (const b of buckets) expect(b).toBeGreaterThan(850);
    const g1 = seededRandom(1);
    const g2 = seededRandom(1);
    expect([g1(), g1(), g1()]).toEqual([g2(), g2(), g2()]);
  });
});
