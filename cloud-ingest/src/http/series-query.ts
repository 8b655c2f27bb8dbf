/**
 * `GET /api/series` over the SQLite store: raw readings, or aggregated per `every` window
 * with `fn`. Plain SQL on the documented layout, time range first (the primary key
 * starts with ts).
 */
import type Database from 'better-sqlite3';
import { IngestError } from '../errors.js';

export interface SeriesQuery {
  measurement: string;
  district?: string;
  gateway?: string;
  device?: string;
  point?: string;
  quality?: 'good' | 'uncertain' | 'bad';
  from?: number;
  to?: number;
  every?: number;
  fn?: AggregateFn;
  limit?: number;
}

export const AGGREGATES = ['mean', 'min', 'max', 'sum', 'count', 'first', 'last'] as const;
export type AggregateFn = (typeof AGGREGATES)[number];

export interface SeriesResult {
  series: {
    measurement: string;
    district: string | null;
    gateway: string | null;
    device: string | null;
    model: string | null;
    point: string;
    /** [ts, value] for numbers and booleans; raw queries also give text values and quality */
    values: [number, number | string | null, string?][];
  }[];
  truncated: boolean;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `10s`, `5m`, `1h`, `1d` or a plain number of ms. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) return undefined;
  const v = Number(m[1]) * (UNITS[m[2] ?? 'ms'] as number);
  return v > 0 ? v : undefined;
}

/** ms since the epoch, or an ISO date. */
export function parseTime(s: string): number | undefined {
  if (/^-?\d+$/.test(s)) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

export function parseSeriesQuery(q: Record<string, string | undefined>): SeriesQuery {
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
    if (e === undefined) throw bad('every: expected a duration like 10s, 5m, 1h');
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
    if (!Number.isInteger(l) || l < 1) throw bad('limit: expected a positive integer');
    out.limit = l;
  }
  return out;
}

const AGG_SQL: Record<AggregateFn, string> = {
  mean: 'AVG(r.value)',
  min: 'MIN(r.value)',
  max: 'MAX(r.value)',
  sum: 'SUM(r.value)',
  count: 'COUNT(r.value)',
  first: 'MIN(r.ts) AS _at, r.value',
  last: 'MAX(r.ts) AS _at, r.value',
};

export function querySeries(db: Database.Database, q: SeriesQuery): SeriesResult {
  const limit = Math.min(q.limit ?? 10_000, 100_000);
  const where = ['r.ts >= ?', 'r.ts < ?', 's.measurement = ?'];
  const args: (string | number)[] = [q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER, q.measurement];
  for (const k of ['district', 'gateway', 'device'] as const) {
    if (q[k] !== undefined) {
      where.push(`s.${k} = ?`);
      args.push(q[k] as string);
    }
  }
  if (q.point !== undefined) {
    where.push('r.point = ?');
    args.push(q.point);
  }
  if (q.quality !== undefined) {
    where.push('r.quality = ?');
    args.push(q.quality);
  }
  const cols = 's.id AS sid, s.measurement, s.district, s.gateway, s.device, s.model, r.point';
  let sql: string;
  if (q.fn !== undefined) {
    const every = q.every ?? Number.MAX_SAFE_INTEGER;
    sql = `SELECT ${cols}, (r.ts / ${every}) * ${every} AS t, ${AGG_SQL[q.fn]} AS v
             FROM readings r JOIN series s ON s.id = r.series_id
            WHERE ${where.join(' AND ')}
            GROUP BY s.id, r.point, t ORDER BY t LIMIT ${limit + 1}`;
  } else {
    sql = `SELECT ${cols}, r.ts AS t, COALESCE(r.value, r.text) AS v, r.quality
             FROM readings r JOIN series s ON s.id = r.series_id
            WHERE ${where.join(' AND ')}
            ORDER BY r.ts LIMIT ${limit + 1}`;
  }
  const rows = db.prepare(sql).all(...args) as {
    sid: number;
    measurement: string;
    district: string | null;
    gateway: string | null;
    device: string | null;
    model: string | null;
    point: string;
    t: number;
    v: number | string | null;
    quality?: string;
  }[];
  const truncated = rows.length > limit;
  if (truncated) rows.pop();
  const bySeries = new Map<string, SeriesResult['series'][number]>();
  for (const r of rows) {
    const k = `${r.sid}\u0000${r.point}`;
    let s = bySeries.get(k);
    if (!s) {
      s = {
        measurement: r.measurement,
        district: r.district,
        gateway: r.gateway,
        device: r.device,
        model: r.model,
        point: r.point,
        values: [],
      };
      bySeries.set(k, s);
    }
    s.values.push(r.quality === undefined ? [r.t, r.v] : [r.t, r.v, r.quality]);
  }
  return { series: [...bySeries.values()], truncated };
}
