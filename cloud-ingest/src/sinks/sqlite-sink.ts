/**
 * The embedded store: line protocol into SQLite (better-sqlite3, WAL, synchronous=NORMAL).
 * See sqlite-schema.ts for the layout. A committed transaction is in the WAL file, so it
 * survives a crash of the ingest; a power cut can take what was not yet checkpointed.
 *
 * Mapping of a line: the `quality` tag goes to the `quality` column, the other tags to the
 * series row; each field becomes a reading row, except that for a reading that is not
 * good, the contract's `<point>_reason` string field becomes the `reason` column of
 * `<point>`'s row (a bad reading without a value is a row with value NULL and a reason).
 */
import { REASON_SUFFIX } from '@ganzhi/device-profiles/contract';
import Database from 'better-sqlite3';
import { IngestError } from '../errors.js';
import { type ParsedLine, parseLine } from '../line-protocol.js';
import type { RejectedLine, SeriesReader, Sink, WriteResult } from '../sink.js';
import { sqliteReader } from './sqlite-query.js';
import { SCHEMA_SQL, SCHEMA_VERSION } from './sqlite-schema.js';

export interface SqliteSinkOptions {
  file: string;
  /** busy timeout for readers/writers sharing the file, ms */
  busyTimeoutMs?: number;
}

export interface SqliteSink extends Sink {
  /** the connection, for tests and tools (read only use, please) */
  readonly db: Database.Database;
  readonly reader: SeriesReader;
}

interface Row {
  point: string;
  value: number | null;
  text: string | null;
  reason: string | null;
}

function rowsOf(p: ParsedLine, quality: string): Row[] {
  const rows = new Map<string, Row>();
  const reasons: [string, string][] = [];
  for (const f of p.fields) {
    if (quality !== 'good' && f.type === 'string' && f.key.endsWith(REASON_SUFFIX)) {
      reasons.push([f.key.slice(0, -REASON_SUFFIX.length), f.value as string]);
      continue;
    }
    const value = f.type === 'string' ? null : f.type === 'bool' ? (f.value ? 1 : 0) : (f.value as number);
    rows.set(f.key, {
      point: f.key,
      value,
      text: f.type === 'string' ? (f.value as string) : null,
      reason: null,
    });
  }
  for (const [point, reason] of reasons) {
    const r = rows.get(point);
    if (r) r.reason = reason;
    else rows.set(point, { point, value: null, text: null, reason });
  }
  return [...rows.values()];
}

export function createSqliteSink(opts: SqliteSinkOptions): SqliteSink {
  const db = new Database(opts.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  db.exec(SCHEMA_SQL);
  db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(
    'schema_version',
    String(SCHEMA_VERSION),
  );

  const insertSeries = db.prepare(
    'INSERT OR IGNORE INTO series (measurement, district, gateway, device, model, tags) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const selectSeries = db.prepare('SELECT id FROM series WHERE measurement = ? AND tags = ?').pluck();
  // One statement per line (all its fields as a multi-row VALUES): fewer native calls than
  // one statement per reading, about twice as fast here.
  const MAX_ROWS = 32;
  const inserts: Database.Statement[] = [];
  const insertRows = (n: number): Database.Statement => {
    let st = inserts[n];
    if (st === undefined) {
      const values = Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
      st = db.prepare(
        `INSERT OR REPLACE INTO readings (ts, series_id, point, value, text, quality, reason) VALUES ${values}`,
      );
      inserts[n] = st;
    }
    return st;
  };
  const seriesIds = new Map<string, number>();

  function seriesId(p: ParsedLine): { id: number; quality: string } {
    let quality = 'good';
    const tags: [string, string][] = [];
    for (const t of p.tags) {
      if (t[0] === 'quality') quality = t[1];
      else tags.push(t);
    }
    tags.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const tagText = tags.map(([k, v]) => `${k}=${v}`).join(',');
    const key = `${p.measurement}\u0000${tagText}`;
    let id = seriesIds.get(key);
    if (id === undefined) {
      const get = (k: string) => tags.find((t) => t[0] === k)?.[1] ?? null;
      insertSeries.run(p.measurement, get('district'), get('gateway'), get('device'), get('model'), tagText);
      id = selectSeries.get(p.measurement, tagText) as number;
      seriesIds.set(key, id);
    }
    return { id, quality };
  }

  const writeTx = db.transaction((lines: readonly string[], now: number): RejectedLine[] => {
    const rejected: RejectedLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const r = parseLine(line);
      if (!r.ok) {
        rejected.push({ index: i, line, reason: r.error });
        continue;
      }
      const { id, quality } = seriesId(r.value);
      const ts = r.value.ts ?? now;
      const rows = rowsOf(r.value, quality);
      for (let k = 0; k < rows.length; k += MAX_ROWS) {
        const chunk = rows.slice(k, k + MAX_ROWS);
        const args: (string | number | null)[] = [];
        for (const row of chunk) args.push(ts, id, row.point, row.value, row.text, quality, row.reason);
        insertRows(chunk.length).run(args);
      }
    }
    return rejected;
  });

  let closed = false;
  return {
    kind: 'sqlite',
    db,
    reader: sqliteReader(db),
    async write(lines): Promise<WriteResult> {
      if (closed) throw new IngestError('GZ_SINK_CLOSED', 'the SQLite sink is closed');
      if (lines.length === 0) return { written: 0, rejected: [] };
      try {
        const rejected = writeTx(lines, Date.now());
        return { written: lines.length - rejected.length, rejected };
      } catch (err) {
        // SQLITE_BUSY, SQLITE_FULL, I/O errors: the transaction rolled back; try again later.
        seriesIds.clear();
        throw new IngestError('GZ_SINK_UNAVAILABLE', `SQLite write failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
    async check() {
      if (closed) throw new IngestError('GZ_SINK_CLOSED', 'the SQLite sink is closed');
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
