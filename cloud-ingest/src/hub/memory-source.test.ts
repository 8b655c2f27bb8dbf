import type { DataBatch } from '@ganzhi/device-profiles/contract';
import { describe, expect, it } from 'vitest';
import { createMemoryHubSource } from './memory-source.js';
import { RateCounter } from './rate.js';
import { bucketMean, SampleRing } from './ring.js';

const ids = { district: 'd1', gateway: 'g1', device: 'm1' };
const T0 = Date.UTC(2026, 0, 1);

function batch(seq: number, readings: DataBatch['readings']): DataBatch {
  return { v: 1, ...ids, model: 'p', measurement: 'm', stream: 's', seq, sent: T0, readings };
}
const q = (point: string) => ({ measurement: 'm', ...ids, point, from: 0, to: T0 * 2 });

describe('SampleRing', () => {
  it('keeps the newest samples, sorted, a redelivered ts once', () => {
    const r = new SampleRing(3);
    for (const [ts, v] of [
      [5, 1],
      [1, 2],
      [3, 3],
      [3, 4],
      [9, null],
    ] as const)
      r.push(ts, v);
    expect(r.length).toBe(3);
    expect(r.range(0, 100)).toEqual([
      { ts: 3, value: 4 },
      { ts: 9, value: null },
    ]);
    expect(r.range(0, 9)).toEqual([{ ts: 3, value: 4 }]);
  });

  it('averages per bucket, a bucket of nulls is null', () => {
    expect(
      bucketMean(
        [
          { ts: 0, value: 1 },
          { ts: 5, value: 3 },
          { ts: 10, value: null },
          { ts: 25, value: 7 },
        ],
        10,
      ),
    ).toEqual([
      { ts: 0, value: 2 },
      { ts: 10, value: null },
      { ts: 20, value: 7 },
    ]);
  });
});

describe('RateCounter', () => {
  it('counts whole past seconds of the window only', () => {
    const r = new RateCounter(4);
    r.add(8, 1000);
    r.add(4, 2500);
    r.add(100, 5000); // the current second: not counted yet
    expect(r.rate(5200)).toBe(3);
    expect(r.rate(6000)).toBe((4 + 100) / 4); // second 1 left the window
  });
});

describe('createMemoryHubSource', () => {
  const dev = (device: string) => ({ ...ids, device });
  const one = (device: string, seq: number, point: string, value: number, ts = T0) =>
    ({ ...batch(seq, [{ point, value, ts, quality: 'good' }]), device }) as DataBatch;
  const ask = (s: ReturnType<typeof createMemoryHubSource>, device: string, point: string) =>
    s.series({ ...q(point), device });

  it('bounds the rings: a new point reuses the rings of the least recently written device', () => {
    const s = createMemoryHubSource({ now: () => T0, maxSeries: 2, ringSize: 4 });
    s.onBatch(dev('m1'), one('m1', 0, 'a', 1));
    s.onBatch(dev('m2'), one('m2', 1, 'b', 2));
    s.onBatch(dev('m1'), one('m1', 2, 'a', 3, T0 + 1)); // m1 is fresh again
    s.onBatch(dev('m3'), one('m3', 3, 'c', 4)); // m2's ring goes
    expect(ask(s, 'm2', 'b')).toEqual([]);
    expect(ask(s, 'm1', 'a')).toHaveLength(2);
    expect(ask(s, 'm3', 'c')).toEqual([{ ts: T0, value: 4 }]);
    // the device still lists the points it has sent
    expect(
      s
        .devices()
        .find((d) => d.device === 'm2')
        ?.points.map((p) => p.name),
    ).toEqual(['b']);
  });

  it('keeps the history of a point a chart is watching, even when it is the least recently written', () => {
    const s = createMemoryHubSource({ now: () => T0, maxSeries: 2, ringSize: 4 });
    s.onBatch(dev('m1'), one('m1', 0, 'a', 1));
    expect(ask(s, 'm1', 'a')).toEqual([{ ts: T0, value: 1 }]); // the chart asks: m1 is watched
    s.onBatch(dev('m2'), one('m2', 1, 'b', 2));
    s.onBatch(dev('m3'), one('m3', 2, 'c', 3)); // m1 is the oldest, but watched: m2 goes
    expect(ask(s, 'm1', 'a')).toEqual([{ ts: T0, value: 1 }]);
    expect(ask(s, 'm2', 'b')).toEqual([]);
  });

  it('charts booleans as 0/1 and text or bad readings as null', () => {
    const s = createMemoryHubSource({ now: () => T0 });
    s.onBatch(
      ids,
      batch(0, [
        { point: 'on', value: true, ts: T0, quality: 'good' },
        { point: 'txt', value: 'hello', ts: T0, quality: 'good' },
        { point: 'v', value: 12, ts: T0, quality: 'bad', reason: 'out of range' },
        { point: 'u', value: 12, ts: T0, quality: 'uncertain' },
      ]),
    );
    expect(s.series(q('on'))).toEqual([{ ts: T0, value: 1 }]);
    expect(s.series(q('txt'))).toEqual([{ ts: T0, value: null }]);
    expect(s.series(q('v'))).toEqual([{ ts: T0, value: null }]);
    expect(s.series(q('u'))).toEqual([{ ts: T0, value: 12 }]);
  });

  it('a will keeps the time the hub saw the gateway go, not the will ts', () => {
    let now = T0;
    const s = createMemoryHubSource({ now: () => now });
    s.onState(ids, { v: 1, state: 'online', ts: T0 - 5000, stream: 'x' });
    now = T0 + 60_000;
    s.onState(ids, { v: 1, state: 'offline', ts: T0 - 5000 });
    expect(s.gateways()[0]).toMatchObject({ state: 'offline', since: T0 + 60_000, stream: 'x' });
  });

  it('with a store query, keeps no rings and asks the store', () => {
    const asked: string[] = [];
    const s = createMemoryHubSource({
      now: () => T0,
      series: (r) => {
        asked.push(r.point);
        return [{ ts: 1, value: 2 }];
      },
    });
    s.onBatch(ids, batch(0, [{ point: 'a', value: 1, ts: T0, quality: 'good' }]));
    expect(s.series(q('a'))).toEqual([{ ts: 1, value: 2 }]);
    expect(asked).toEqual(['a']);
  });

  it('lists at most maxPointsPerGateway point names from data, all its devices together', () => {
    const s = createMemoryHubSource({ now: () => T0, maxPointsPerDevice: 50, maxPointsPerGateway: 120 });
    for (let d = 0; d < 5; d++) {
      const readings = Array.from({ length: 80 }, (_, i) => ({
        point: `x${i}`,
        value: i,
        ts: T0,
        quality: 'good' as const,
      }));
      s.onBatch({ ...ids, device: `dev-${d}` }, batch(d, readings));
    }
    const listed = s.devices().map((d) => d.points.length);
    expect(listed).toEqual([50, 50, 20, 0, 0]);
  });
});
