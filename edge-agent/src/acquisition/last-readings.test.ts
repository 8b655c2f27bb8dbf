import { describe, expect, it } from 'vitest';
import type { DriverReading } from '../drivers/driver.js';
import { LastReadings } from './last-readings.js';

const reading = (over: Partial<DriverReading>): DriverReading => ({
  device: 'm1',
  point: 'p',
  value: 1,
  unit: 'V',
  ts: 1_800_000_000_000,
  quality: 'good',
  ...over,
});

describe('LastReadings', () => {
  it('gives each point its latest reading: value, quality, ts, reason and raw', () => {
    const last = new LastReadings();
    expect(last.get('p')).toBeUndefined();
    last.update([reading({ value: 230.5, raw: [0x4366, 0x8000] }), reading({ point: 'q', value: 'open' })]);
    last.update([reading({ value: 231.25, ts: 1_800_000_001_000, raw: [0x4367, 0x4000] })]);
    expect(last.get('p')).toEqual({
      value: 231.25,
      quality: 'good',
      ts: 1_800_000_001_000,
      raw: [0x4367, 0x4000],
    });
    expect(last.get('q')).toEqual({ value: 'open', quality: 'good', ts: 1_800_000_000_000 });
  });

  it('follows a point through every value type, and drops a reason or raw the new reading lacks', () => {
    const last = new LastReadings();
    const seen = [
      reading({ value: null, quality: 'bad', reason: 'timeout' }),
      reading({ value: true }),
      reading({ value: 'text', quality: 'uncertain', reason: 'out of range', raw: [1, 2, 3] }),
      reading({ value: Number.NaN, quality: 'bad', reason: 'not a number', raw: [0x7fc0, 0] }),
      reading({ value: -0.5 }),
    ].map((r) => {
      last.update([r]);
      return last.get('p');
    });
    expect(seen).toEqual([
      { value: null, quality: 'bad', ts: 1_800_000_000_000, reason: 'timeout' },
      { value: true, quality: 'good', ts: 1_800_000_000_000 },
      { value: 'text', quality: 'uncertain', ts: 1_800_000_000_000, reason: 'out of range', raw: [1, 2, 3] },
      { value: Number.NaN, quality: 'bad', ts: 1_800_000_000_000, reason: 'not a number', raw: [0x7fc0, 0] },
      { value: -0.5, quality: 'good', ts: 1_800_000_000_000 },
    ]);
  });

  it('keeps its own copy of the raw registers: neither the reading nor a view changes it', () => {
    const last = new LastReadings();
    const raw = [1, 2];
    last.update([reading({ raw })]);
    raw[0] = 99;
    const view = last.get('p')!;
    view.raw![1] = 98;
    expect(last.get('p')!.raw).toEqual([1, 2]);
    last.update([reading({ raw: [3, 4] })]);
    expect(view.raw).toEqual([1, 98]);
    expect(last.get('p')!.raw).toEqual([3, 4]);
  });
});
