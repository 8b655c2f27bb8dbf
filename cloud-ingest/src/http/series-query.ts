/**
 * `GET /api/series`: its query string, checked and turned into a SeriesQuery for the store's
 * reader (sinks/sqlite-query.ts answers it over the SQLite store).
 */
import { ID_PATTERN, MEASUREMENT_PATTERN, POINT_NAME_PATTERN } from '@ganzhi/device-profiles/contract';
import { type Static, Type } from '@sinclair/typebox';
import { IngestError } from '../errors.js';
import { AGGREGATES, type AggregateFn, type SeriesQuery } from '../sink.js';

/** Optional, one value (a repeated parameter is an array and fails the schema), bounded. */
const Text = Type.Optional(Type.String({ maxLength: 64 }));
const Id = Type.Optional(Type.String({ pattern: ID_PATTERN.source }));

/** The query string of /api/series: names are checked here, times and durations by the parser. */
export const SeriesQueryString = Type.Object({
  measurement: Type.Optional(Type.String({ pattern: MEASUREMENT_PATTERN.source })),
  district: Id,
  gateway: Id,
  device: Id,
  point: Type.Optional(Type.String({ pattern: POINT_NAME_PATTERN.source })),
  quality: Text,
  from: Text,
  to: Text,
  every: Type.Optional(Type.String({ maxLength: 1000 })),
  fn: Text,
  limit: Text,
});
export type SeriesQueryString = Static<typeof SeriesQueryString>;

export const CompletenessQueryString = Type.Object({ district: Id, since: Text });
export type CompletenessQueryString = Static<typeof CompletenessQueryString>;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest aggregation window: a year (one bucket for any range the store holds). */
const MAX_EVERY = 366 * 86_400_000;

/** `250ms`, `10s`, `5m`, `1h`, `1d` or a plain number of ms, at most a year; else undefined. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d{1,15})(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) return undefined;
  const v = Number(m[1]) * (UNITS[m[2] ?? 'ms'] as number);
  return v > 0 && v <= MAX_EVERY ? v : undefined;
}

/** ms since the epoch (a safe integer), or an ISO date; else undefined. */
export function parseTime(s: string): number | undefined {
  if (/^-?\d+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

export function parseSeriesQuery(q: SeriesQueryString): SeriesQuery {
  const bad = (m: string) => new IngestError('GZ_QUERY_INVALID', m);
  if (!q.measurement) throw bad('measurement is required');
  const out: SeriesQuery = { measurement: q.measurement };
  for (const k of ['district', 'gateway', 'device', 'point'] as const) if (q[k]) out[k] = q[k];
  if (q.quality) {
    if (!['good', 'uncertain', 'bad'].includes(q.quality))
      throw bad('quality: expected good, uncertain or bad');
    out.quality = q.quality as SeriesQuery['quality'];
  }
  for (const k of ['from', 'to'] as const) {
    if (q[k]) {
      const t = parseTime(q[k] as string);
      if (t === undefined) throw bad(`${k}: expected ms since the epoch or an ISO date`);
      out[k] = t;
    }
  }
  if (q.every) {
    const e = parseDuration(q.every);
    if (e === undefined) throw bad('every: expected a duration like 10s, 5m, 1h (at most 366d)');
    out.every = e;
    out.fn = 'mean';
  }
  if (q.fn) {
    if (!(AGGREGATES as readonly string[]).includes(q.fn))
      throw bad(`fn: expected one of ${AGGREGATES.join(', ')}`);
    out.fn = q.fn as AggregateFn;
  }
  if (q.limit) {
    const l = Number(q.limit);
    if (!Number.isSafeInteger(l) || l < 1) throw bad('limit: expected a positive integer');
    out.limit = l;
  }
  return out;
}
