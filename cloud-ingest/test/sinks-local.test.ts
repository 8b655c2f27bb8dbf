import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { completenessLines } from '../src/completeness/points.js';
import { createNullSink } from '../src/sinks/null-sink.js';
import { createSqliteSink, type SqliteSink } from '../src/sinks/sqlite-sink.js';
import { createSqliteThreadSink } from '../src/sinks/sqlite-thread-sink.js';
import { type StoredPoint, sinkContract } from './sink-contract.js';

sinkContract('null', async () => {
  const sink = createNullSink();
  return { sink, close: () => sink.close() };
});

function sqliteReadBack(sink: SqliteSink) {
  return async (measurement: string): Promise<StoredPoint[]> => {
    const rows = sink.db
      .prepare(
        `SELECT s.measurement, s.tags, r.quality, r.ts, r.point, r.value, r.text, r.reason
             FROM readings r JOIN series s ON s.id = r.series_id WHERE s.measurement = ?`,
      )
      .all(measurement) as {
      measurement: string;
      tags: string;
      quality: string;
      ts: number;
      point: string;
      value: number | null;
      text: string | null;
      reason: string | null;
    }[];
    const out: StoredPoint[] = [];
    for (const r of rows) {
      const tags = [...r.tags.split(',').filter(Boolean), `quality=${r.quality}`].sort().join(',');
      const series = `${r.measurement},${tags}`;
      if (r.value !== null || r.text !== null) {
        out.push({ series, field: r.point, ts: r.ts, value: r.value ?? (r.text as string) });
      }
      if (r.reason !== null) out.push({ series, field: `${r.point}_reason`, ts: r.ts, value: r.reason });
    }
    return out;
  };
}

sinkContract('sqlite', async () => {
  const dir = tempDir('ganzhi-sqlite-sink-');
  const sink = createSqliteSink({ file: join(dir, 'ingest.db') });
  return {
    sink,
    readBack: sqliteReadBack(sink),
    async close() {
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

sinkContract('sqlite (worker thread)', async () => {
  const dir = tempDir('ganzhi-sqlite-thread-sink-');
  const sink = await createSqliteThreadSink({ file: join(dir, 'ingest.db') });
  return {
    sink,
    readBack: sqliteReadBack(sink),
    async close() {
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite views: readings_v holds readings only, completeness_v the ingest figures', () => {
  it('a per-(device, point, ts) count over readings_v finds no duplicates that are not', async () => {
    const dir = tempDir('ganzhi-sqlite-views-');
    const file = join(dir, 'ingest.db');
    // a file made with the old view (completeness rows in readings_v) gets the new ones on open
    const old = new Database(file);
    old.exec(
      "CREATE TABLE series (id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, district TEXT, gateway TEXT, device TEXT, model TEXT, tags TEXT NOT NULL, UNIQUE (measurement, tags)); CREATE TABLE readings (ts INTEGER NOT NULL, series_id INTEGER NOT NULL, point TEXT NOT NULL, value REAL, text TEXT, quality TEXT NOT NULL DEFAULT 'good', reason TEXT, PRIMARY KEY (ts, series_id, point)) WITHOUT ROWID; CREATE VIEW readings_v AS SELECT r.ts, s.device, r.point FROM readings r JOIN series s ON s.id = r.series_id;",
    );
    old.close();
    const sink = createSqliteSink({ file });
    const t = Date.UTC(2026, 11, 6, 8);
    await sink.write([
      `energy_meter,device=m1,district=d1,gateway=g1,model=x,quality=good voltage=230.5,current=5 ${t}`,
      `energy_meter,device=m2,district=d1,gateway=g1,model=x,quality=good voltage=231 ${t}`,
      // the ingest's own figures: two gateways at the same time (device NULL)
      ...completenessLines(
        [
          {
            district: 'd1',
            gateway: 'g1',
            received: 10,
            missing: 1,
            duplicates: 0,
            late: 0,
            streams: 1,
            gapsOpened: 1,
            resets: 0,
            lastSeq: 10,
            lastSeen: t,
          },
          {
            district: 'd1',
            gateway: 'g2',
            received: 7,
            missing: 0,
            duplicates: 2,
            late: 1,
            streams: 1,
            gapsOpened: 0,
            resets: 0,
            lastSeq: 6,
            lastSeen: t,
          },
        ],
        t,
      ),
    ]);
    const dupes = sink.db
      .prepare(
        'SELECT device, point, ts, count(*) AS c FROM readings_v GROUP BY device, point, ts HAVING c > 1',
      )
      .all();
    expect(dupes).toEqual([]);
    expect(sink.db.prepare('SELECT count(*) FROM readings_v').pluck().get()).toBe(3);
    expect(sink.db.prepare('SELECT count(*) FROM readings_v WHERE device IS NULL').pluck().get()).toBe(0);
    expect(
      sink.db
        .prepare(
          'SELECT gateway, received, missing, duplicates, late, streams, last_seq FROM completeness_v ORDER BY gateway',
        )
        .all(),
    ).toEqual([
      { gateway: 'g1', received: 10, missing: 1, duplicates: 0, late: 0, streams: 1, last_seq: 10 },
      { gateway: 'g2', received: 7, missing: 0, duplicates: 2, late: 1, streams: 1, last_seq: 6 },
    ]);
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
