import { ManualClock } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { SeqWindow } from './seq-window.js';

describe('SeqWindow: Sparkplug seq unwrapped, with the reorder window', () => {
  const make = (reorderMs: number) => {
    const clock = new ManualClock(0);
    const timeouts: number[] = [];
    const w = new SeqWindow(clock, reorderMs, () => timeouts.push(clock.now()));
    return { clock, timeouts, w };
  };

  it('keeps counting across the 255 → 0 wrap and across births (no gap at a birth)', () => {
    const { w } = make(1000);
    expect(w.birth(254)).toBe(0);
    expect(w.next(255)).toEqual({ unwrapped: 1 });
    expect(w.next(0)).toEqual({ unwrapped: 2 });
    expect(w.next(0)).toEqual({ unwrapped: 2 }); // the same message again
    expect(w.birth(0)).toBe(3); // a rebirth restarts seq at 0; the counter goes on
    expect(w.next(1)).toEqual({ unwrapped: 4 });
  });

  it('a jump opens the window; late messages that fill it close it without a verdict', () => {
    const { clock, timeouts, w } = make(1000);
    w.birth(10);
    expect(w.next(13)).toEqual({ unwrapped: 3, gap: { expected: 11 } });
    expect(w.next(12)).toEqual({ unwrapped: 2 });
    expect(w.next(11)).toEqual({ unwrapped: 1 });
    clock.advance(5000);
    expect(timeouts).toEqual([]);
  });

  it('a gap still open when the window closes is reported once; with a window of 0 at once', () => {
    const { clock, timeouts, w } = make(1000);
    w.birth(0);
    w.next(3); // 1, 2 missing
    w.next(2);
    w.next(6); // 4, 5 missing too; the window already runs
    clock.advance(999);
    expect(timeouts).toEqual([]);
    clock.advance(1);
    expect(timeouts).toEqual([1000]);
    clock.advance(5000);
    expect(timeouts).toEqual([1000]);
    const now = make(0);
    now.w.birth(0);
    expect(now.w.next(2).gap).toEqual({ expected: 1 });
    expect(now.timeouts).toEqual([0]);
  });

  it('a stop (offline, new birth) forgets the awaited messages', () => {
    const { clock, timeouts, w } = make(1000);
    w.birth(0);
    w.next(5);
    w.stop();
    clock.advance(2000);
    expect(timeouts).toEqual([]);
  });
});
