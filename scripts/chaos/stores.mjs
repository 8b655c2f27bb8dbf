/**
 * Reading the stores back for the comparison: rows per (device, point) in a time range,
 * the newest row's time, rows that are not good, and same-key conflicts.
 * SQLite: cloud-ingest's `readings_v` view. InfluxDB 1.6: one measurement per profile, tags
 * device/quality, one field per point (`<point>_reason` beside a reading that is not good).
 */
import Database from 'better-sqlite3';

const FAR = 8.64e15;

export function sqliteStore(file) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const counts = db.prepare(
    `SELECT point, sum(quality != 'bad') AS n, sum(quality = 'bad') AS bad, max(ts) AS maxTs
       FROM readings_v WHERE device = ? AND ts > ? AND ts <= ? GROUP BY point`,
  );
  const lastTs = db.prepare(
    `SELECT max(ts) AS ts FROM readings_v WHERE device = ? AND point = ? AND ts > ? AND ts <= ? AND quality != 'bad'`,
  );
  return {
    kind: 'sqlite',
    /** Map point → {n (not bad), bad, maxTs} for rows with from < ts <= to. */
    async counts(device, _profile, from = -FAR, to = FAR) {
      const m = new Map();
      for (const r of counts.all(device, from, to)) m.set(r.point, { n: r.n, bad: r.bad, maxTs: r.maxTs });
      return m;
    },
    async lastTs(device, _profile, point, from, to) {
      return lastTs.get(device, point, from, to)?.ts ?? undefined;
    },
    /** (device, point, ts) keys held more than once (in different series), and how many with differing values. */
    async conflicts() {
      const rows = db
        .prepare(
          `SELECT device, point, ts, count(*) AS c, count(DISTINCT coalesce(value, text, '∅')) AS v
             FROM readings_v GROUP BY device, point, ts HAVING c > 1`,
        )
        .all();
      return {
        keys: rows.length,
        extraRows: rows.reduce((s, r) => s + r.c - 1, 0),
        differing: rows.filter((r) => r.v > 1).length,
      };
    },
    async totalRows() {
      return db.prepare('SELECT count(*) AS n FROM readings').get().n;
    },
    close: () => db.close(),
  };
}

const q = (s) => `"${s.replace(/"/g, '\\"')}"`;
const lit = (s) => `'${s.replace(/'/g, "\\'")}'`;

export function influxStore(influx, database, measurementOf) {
  return {
    kind: 'influxdb',
    async counts(device, profile, from = -FAR, to = FAR) {
      const m = new Map();
      const meas = measurementOf(profile);
      const where = `device = ${lit(device)} AND time > ${Math.max(from, 0)}ms AND time <= ${Math.min(to, 4e12)}ms`;
      const body = await influx.query(
        `SELECT COUNT(*) FROM ${q(meas)} WHERE ${where} GROUP BY quality`,
        database,
      );
      for (const s of body.results[0]?.series ?? []) {
        const bad = s.tags?.quality === 'bad';
        const row = s.values[0];
        s.columns.forEach((c, i) => {
          if (!c.startsWith('count_') || c.endsWith('_reason')) return;
          const point = c.slice(6);
          const e = m.get(point) ?? { n: 0, bad: 0, maxTs: undefined };
          if (bad) e.bad += Number(row[i] ?? 0);
          else e.n += Number(row[i] ?? 0);
          m.set(point, e);
        });
      }
      return m;
    },
    async lastTs(device, profile, point, from, to) {
      const meas = measurementOf(profile);
      const body = await influx.query(
        `SELECT LAST(${q(point)}) FROM ${q(meas)} WHERE device = ${lit(device)} AND quality != 'bad' AND time > ${Math.max(from, 0)}ms AND time <= ${Math.min(to, 4e12)}ms`,
        database,
      );
      const v = body.results[0]?.series?.[0]?.values?.[0];
      return v ? Number(v[0]) : undefined;
    },
    /**
     * InfluxDB overwrites a (series, time, field) in place, so a repeated key can only live
     * under another quality tag — and then it shows up as an extra row in counts().
     */
    async conflicts() {
      return undefined;
    },
    async totalRows() {
      return undefined;
    },
    close: () => {},
  };
}
