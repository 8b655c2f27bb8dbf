/**
 * A HubSource `series` backed by the store's reader (the embedded SQLite store of
 * `npm start`): raw readings (bad ones as null), or the mean of the good readings per
 * `every` bucket, of one point.
 */
import type { SeriesReader } from '../sink.js';
import type { Sample, SeriesRequest } from './source.js';

const MAX_SAMPLES = 5000;

export function storeSeries(reader: SeriesReader): (q: SeriesRequest) => Sample[] {
  return (q) => {
    const res = reader.series({
      measurement: q.measurement,
      district: q.district,
      gateway: q.gateway,
      device: q.device,
      point: q.point,
      from: q.from,
      to: q.to,
      // buckets average good readings only (each quality is its own series in the store)
      ...(q.every === undefined ? {} : { every: q.every, fn: 'mean' as const, quality: 'good' as const }),
      limit: MAX_SAMPLES,
    });
    const out: Sample[] = [];
    for (const s of res.series) {
      for (const [ts, v, quality] of s.values) {
        out.push({ ts, value: quality === 'bad' || typeof v !== 'number' ? null : v });
      }
    }
    return out.sort((a, b) => a.ts - b.ts);
  };
}
