import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test-support/process.js';
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
