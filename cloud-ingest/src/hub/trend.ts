/**
 * Completeness per district and hour over the last N hours (the figure the city's evaluation
 * reports), from the per-gateway hourly counts the completeness tracker keeps (7 days,
 * persisted with it). Every hour of the window has a bucket, empty hours included (ratio
 * null), so a chart of it has no holes to guess at.
 */
import type { TrendBucket, TrendReply } from './schemas.js';
import type { HubSource } from './source.js';

const HOUR = 3_600_000;

const empty = (hour: number): TrendBucket => ({
  hour,
  received: 0,
  expected: 0,
  gaps: 0,
  duplicates: 0,
  ratio: null,
});

function add(into: TrendBucket, c: { received: number; expected: number; gaps: number; duplicates: number }) {
  into.received += c.received;
  into.expected += c.expected;
  into.gaps += c.gaps;
  into.duplicates += c.duplicates;
  into.ratio = into.expected > 0 ? into.received / into.expected : null;
}

export function buildTrend(source: HubSource, hours: number, district?: string): TrendReply {
  const now = source.now();
  const current = Math.floor(now / HOUR) * HOUR;
  const from = current - (hours - 1) * HOUR;
  const byDistrict = new Map<string, { total: TrendBucket; buckets: TrendBucket[] }>();
  const row = (d: string) => {
    let r = byDistrict.get(d);
    if (!r) {
      r = { total: empty(from), buckets: Array.from({ length: hours }, (_, i) => empty(from + i * HOUR)) };
      byDistrict.set(d, r);
    }
    return r;
  };
  // every district the hub knows gets a row, also one with nothing in the window
  for (const g of source.gateways()) if (district === undefined || g.district === district) row(g.district);
  for (const c of source.completenessHourly({ from, to: current + HOUR })) {
    if (district !== undefined && c.district !== district) continue;
    const i = Math.floor((c.hour - from) / HOUR);
    const r = row(c.district);
    const b = r.buckets[i];
    if (!b) continue;
    add(b, c);
    add(r.total, c);
  }
  const districts = [...byDistrict.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, r]) => ({ district: name, total: r.total, buckets: r.buckets }));
  return { now, from, hours, districts };
}
