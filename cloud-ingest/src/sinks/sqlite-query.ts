/**
 * Series queries over the SQLite store: raw readings, or aggregated per `every` window with
 * `fn`. Plain SQL on the documented layout (sqlite-schema.ts), time range first (the
 * primary key starts with ts).
 */
import type Database from 'better-sqlite3';
import { IngestError } from '../errors.js';
import type { AggregateFn, SeriesQuery, SeriesReader, SeriesResult } from '../sink.js';

const AGG_SQL: Record<AggregateFn, string> = {
  mean: 'AVG(r.value)',
  min: 'MIN(r.value)',
  max: 'MAX(r.value)',
  sum: 'SUM(r.value)',
  count: 'COUNT(r.value)',
  first: 'MIN(r.ts) AS _at, r.value',
  last: 'MAX(r.ts) AS _at, r.value',
};

const positive = (n: number | undefined): boolean => n === undefined || (Number.isSafeInteger(n) && n > 0);

function querySeries(db: Database.Database, q: SeriesQuery): SeriesResult {
  // the HTTP parser checks these; a caller that did not gets a clear error, not an SQL one
  if (!positive(q.every) || !positive(q.limit))
    throw new IngestError('GZ_QUERY_INVALID', 'every and limit must be positive safe integers');
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
    args.unshift(every, every); // the window's two placeholders come first in the statement
    sql = `SELECT ${cols}, (r.ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS t, ${AGG_SQL[q.fn]} AS v
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

/** The SeriesReader of a SQLite store connection (read-only use). */
export function sqliteReader(db: Database.Database): SeriesReader {
  return { series: (q) => querySeries(db, q) };
}
