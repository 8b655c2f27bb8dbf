import { describe, expect, it } from 'vitest';
import { CompletenessTracker } from './tracker.js';

describe('CompletenessTracker', () => {
  it('counts received, gaps, duplicates and late arrivals per gateway', () => {
    const t = new CompletenessTracker();
    const kinds = [0, 1, 2, 5, 3, 3, 7].map((s) => t.observe('d1', 'gw', 'st', s, 1000));
    expect(kinds).toEqual(['new', 'new', 'new', 'gap', 'late', 'duplicate', 'gap']);
    expect(t.figures()).toEqual([
      expect.objectContaining({
        district: 'd1',
        gateway: 'gw',
        received: 6,
        duplicates: 1,
        late: 1,
        missing: 2,
        lastSeq: 7,
      }),
    ]);
    t.observe('d1', 'gw', 'st', 4, 1000);
    t.observe('d1', 'gw', 'st', 6, 1000);
    expect(t.figures()[0]).toMatchObject({ received: 8, missing: 0, late: 3 });
  });

  it('starts counting at the first seq seen and keeps streams of one gateway apart', () => {
    const t = new CompletenessTracker();
    t.observe('d1', 'gw', 'old', 1000, 0);
    t.observe('d1', 'gw', 'new', 0, 0);
    t.observe('d1', 'gw', 'new', 1, 0);
    expect(t.figures()[0]).toMatchObject({ streams: 2, received: 3, missing: 0, duplicates: 0 });
  });

  it('filters by district and answers "since" from hourly buckets', () => {
    const t = new CompletenessTracker();
    const H = 3_600_000;
    t.observe('a', 'g1', 's', 0, 0);
    t.observe('a', 'g1', 's', 1, 5 * H);
    t.observe('a', 'g1', 's', 1, 5 * H);
    t.observe('b', 'g2', 's', 0, 5 * H);
    expect(t.figures({ district: 'a' })).toHaveLength(1);
    expect(t.figures({ district: 'a', since: 5 * H })[0]).toMatchObject({ received: 1, duplicates: 1 });
    expect(t.figures({ since: 6 * H })).toEqual([]);
  });

  it('survives a round trip through its state (restart)', () => {
    const t = new CompletenessTracker();
    for (const s of [0, 1, 3]) t.observe('d', 'g', 's', s, 0);
    t.through = 41;
    const back = new CompletenessTracker(JSON.parse(JSON.stringify(t.state())));
    expect(back.through).toBe(41);
    expect(back.observe('d', 'g', 's', 2, 0)).toBe('late');
    expect(back.figures()[0]).toMatchObject({ received: 4, missing: 0 });
  });

  it('bounds the range list of a stream with many holes', () => {
    const t = new CompletenessTracker();
    for (let s = 0; s < 25_000; s += 2) t.observe('d', 'g', 's', s, 0);
    const st = t.state().streams[0]!;
    expect(st.ranges.length).toBeLessThanOrEqual(10_000);
    expect(t.figures()[0]).toMatchObject({ received: 12_500, missing: 12_499 });
  });
});
