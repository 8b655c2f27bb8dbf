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

  // issue 13 finding 5: a gateway's own seq drove the hub-wide "missing" to 9.0e15
  it('flags a seq jump beyond the plausible window as a stream reset, not as missing batches', () => {
    const t = new CompletenessTracker();
    expect(t.observe('d1', 'gw', 'st', 0, 1000)).toBe('new');
    expect(t.observe('d1', 'gw', 'st', Number.MAX_SAFE_INTEGER, 1000)).toBe('reset');
    expect(t.figures()[0]).toMatchObject({ received: 2, missing: 0, resets: 1, gapsOpened: 0 });
    // counting goes on from the new position; a real gap after it is still a gap
    expect(t.observe('d1', 'gw', 'st', Number.MAX_SAFE_INTEGER - 3, 1000)).toBe('late');
    expect(t.figures()[0]).toMatchObject({ received: 3, missing: 2, resets: 1 });
    // a jump far back is a reset too
    expect(t.observe('d1', 'gw', 'st', 5, 1000)).toBe('reset');
    expect(t.figures()[0]).toMatchObject({ received: 4, missing: 2, resets: 2 });
  });

  it('a jump within the window is a gap, one past it a reset (the window is configurable)', () => {
    const t = new CompletenessTracker(undefined, { maxSeqJump: 1000 });
    t.observe('d1', 'gw', 'st', 0, 1000);
    expect(t.observe('d1', 'gw', 'st', 1001, 1000)).toBe('gap'); // 1000 missing: at the limit
    expect(t.figures()[0]).toMatchObject({ missing: 1000, resets: 0 });
    expect(t.observe('d1', 'gw', 'st', 2003, 1000)).toBe('reset'); // 1001 missing would be past it
    expect(t.figures()[0]).toMatchObject({ missing: 1000, resets: 1, received: 3 });
  });

  it('keeps at most maxStreamsPerGateway streams, folding the least recently seen into one', () => {
    const t = new CompletenessTracker(undefined, { maxStreamsPerGateway: 3 });
    for (let i = 0; i < 50; i++) {
      t.observe('d1', 'gw', `s${i}`, 0, 1000 + i);
      t.observe('d1', 'gw', `s${i}`, 2, 1000 + i); // one missing in each
    }
    t.observe('d1', 'other', 'x', 0, 5000);
    const state = t.state();
    // three live streams and the one that holds the folded figures
    expect(state.streams.filter((s) => s.gateway === 'gw')).toHaveLength(4);
    // nothing is lost in the fold: 50 streams' figures are still counted
    expect(t.figures().find((g) => g.gateway === 'gw')).toMatchObject({ received: 100, missing: 50 });
    // and the fold survives a restart
    const again = new CompletenessTracker(JSON.parse(JSON.stringify(state)), { maxStreamsPerGateway: 3 });
    expect(again.figures()).toEqual(t.figures());
  });

  it('restores a state file written before resets were counted', () => {
    const old = {
      v: 1 as const,
      through: 7,
      streams: [
        {
          district: 'd1',
          gateway: 'gw',
          stream: 'st',
          ranges: [
            [0, 3],
            [6, 9],
          ] as [number, number][],
          received: 8,
          duplicates: 0,
          late: 0,
          merged: 0,
          firstSeen: 0,
          lastSeen: 0,
          hours: {},
        },
      ],
    };
    const t = new CompletenessTracker(old as never);
    expect(t.figures()[0]).toMatchObject({ received: 8, missing: 2, resets: 0 });
  });

  it('answers per hour over a window: received and gaps opened in each hour, per gateway', () => {
    const H = 3_600_000;
    const t0 = 100 * H;
    const t = new CompletenessTracker();
    // hour 0: seqs 0..9; hour 1: 10..14 then 18,19 (three skipped); hour 2: 15 arrives late
    for (let s = 0; s < 10; s++) t.observe('d1', 'gw', 'st', s, t0 + s * 1000);
    for (const s of [10, 11, 12, 13, 14, 18, 19]) t.observe('d1', 'gw', 'st', s, t0 + H + s * 1000);
    t.observe('d1', 'gw', 'st', 15, t0 + 2 * H);
    t.observe('d2', 'gw2', 'x', 0, t0 + H);
    expect(t.hourly({ from: t0 - 5 * H, to: t0 + 3 * H, district: 'd1' })).toEqual([
      { district: 'd1', gateway: 'gw', hour: t0, received: 10, gapsOpened: 0, duplicates: 0, late: 0 },
      { district: 'd1', gateway: 'gw', hour: t0 + H, received: 7, gapsOpened: 3, duplicates: 0, late: 0 },
      { district: 'd1', gateway: 'gw', hour: t0 + 2 * H, received: 1, gapsOpened: 0, duplicates: 0, late: 1 },
    ]);
    // `from` inside an hour counts that whole hour; `to` excludes the hour starting there
    expect(t.hourly({ from: t0 + H + 5, to: t0 + 2 * H }).map((f) => [f.district, f.hour])).toEqual([
      ['d1', t0 + H],
      ['d2', t0 + H],
    ]);
  });
});
