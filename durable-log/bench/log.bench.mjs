// Durable log benchmark: append and drain rates of the segment log under each fsync policy,
// against better-sqlite3 (WAL) used as a queue with the same durability class.
// Prints a Markdown section. Bounded: each cell runs ~0.8 s or 150 MB, whichever comes first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSegmentLog } from '../dist/index.js';

const CELL_MS = 800;
const CELL_BYTES = 150 * 2 ** 20;
const DRAIN_BATCH = 500;
const dirs = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ganzhi-logbench-'));
  dirs.push(d);
  return d;
};
const payload = (size) => Buffer.alloc(size, 0x61);

/** Runs `step` (which appends `per` records) until the time or byte budget is spent. */
function rate(size, per, step) {
  const max = Math.floor(CELL_BYTES / size);
  let n = 0;
  const t0 = performance.now();
  while (n < max && performance.now() - t0 < CELL_MS) {
    step();
    n += per;
  }
  const s = (performance.now() - t0) / 1000;
  return { recPerS: n / s, mbPerS: (n * size) / s / 2 ** 20, n };
}

function segmentAppend(size, fsync, batch) {
  const log = openSegmentLog({ dir: temp(), fsync });
  const p = payload(size);
  const ps = Array.from({ length: batch }, () => p);
  const r = batch === 1 ? rate(size, 1, () => log.append(p)) : rate(size, batch, () => log.appendMany(ps));
  return { ...r, log };
}

function segmentDrain(log) {
  const total = log.nextOffset - log.firstUnacked;
  const t0 = performance.now();
  for (;;) {
    const rs = log.readFrom(log.firstUnacked, { records: DRAIN_BATCH });
    if (rs.length === 0) break;
    log.ackThrough(rs[rs.length - 1].offset);
  }
  const s = (performance.now() - t0) / 1000;
  log.close();
  return total / s;
}

function sqliteQueue(synchronous) {
  const db = new Database(join(temp(), 'queue.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE q (id INTEGER PRIMARY KEY, at REAL NOT NULL, payload BLOB NOT NULL)');
  return db;
}

function sqliteAppend(size, synchronous, batch) {
  const db = sqliteQueue(synchronous);
  const ins = db.prepare('INSERT INTO q (at, payload) VALUES (?, ?)');
  const p = payload(size);
  const many = db.transaction((k) => {
    for (let i = 0; i < k; i++) ins.run(Date.now(), p);
  });
  const r = batch === 1 ? rate(size, 1, () => ins.run(Date.now(), p)) : rate(size, batch, () => many(batch));
  return { ...r, db };
}

function sqliteDrain(db) {
  const total = db.prepare('SELECT count(*) AS n FROM q').get().n;
  const sel = db.prepare('SELECT id, at, payload FROM q WHERE id > ? ORDER BY id LIMIT ?');
  const del = db.prepare('DELETE FROM q WHERE id <= ?');
  let last = 0;
  const t0 = performance.now();
  for (;;) {
    const rows = sel.all(last, DRAIN_BATCH);
    if (rows.length === 0) break;
    last = rows[rows.length - 1].id;
    del.run(last);
  }
  const s = (performance.now() - t0) / 1000;
  db.close();
  return total / s;
}

const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const rows = [];
const ratios = [];
const cases = [
  // [label, segment fsync, sqlite synchronous, what survives]
  ['never / NORMAL', 'never', 'NORMAL', 'kill -9'],
  ['interval 1000 ms / NORMAL', { intervalMs: 1000 }, 'NORMAL', 'kill -9; power cut loses ≤ 1 s (log)'],
  ['always / FULL', 'always', 'FULL', 'kill -9 and power cut'],
];
try {
  for (const size of [200, 2048]) {
    for (const [label, fsync, sync, survives] of cases) {
      for (const batch of [1, 100]) {
        if (batch === 100 && fsync !== 'always' && size === 2048) continue;
        const seg = segmentAppend(size, fsync, batch);
        const sql = sqliteAppend(size, sync, batch);
        const drain = batch === 1 && fsync === 'never';
        const drainSeg = drain ? segmentDrain(seg.log) : undefined;
        const drainSql = drain ? sqliteDrain(sql.db) : undefined;
        if (!drain) {
          seg.log.close();
          sql.db.close();
        }
        rows.push(
          `| ${size} B | ${label} | ${batch === 1 ? 'append()' : 'appendMany(100)'} | ${fmt(seg.recPerS)} | ${fmt(seg.mbPerS)} | ${fmt(sql.recPerS)} | ${(seg.recPerS / sql.recPerS).toFixed(1)}× | ${survives} |`,
        );
        if (drainSeg !== undefined && drainSql !== undefined) {
          ratios.push(
            `| ${size} B | ${fmt(seg.n)} | ${fmt(drainSeg)} | ${fmt(drainSql)} | ${(drainSeg / drainSql).toFixed(1)}× |`,
          );
        }
        for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      }
    }
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

console.log(`#### Durable log: append rate (segment log vs better-sqlite3 WAL table as a queue)

One record per call (the agent appends each batch as it is made; the ingest appends each MQTT message before its PUBACK), or 100 per call in one write / one transaction. SQLite's \`synchronous\` is matched to the same durability class.

| record | fsync (log) / synchronous (SQLite) | call | log records/s | log MB/s | SQLite records/s | log ÷ SQLite | survives |
| --- | --- | --- | ---: | ---: | ---: | ---: | --- |
${rows.join('\n')}

#### Drain rate (readFrom ${DRAIN_BATCH} + ackThrough, vs SELECT … LIMIT ${DRAIN_BATCH} + DELETE)

| record | backlog | log records/s | SQLite records/s | log ÷ SQLite |
| --- | ---: | ---: | ---: | ---: |
${ratios.join('\n')}
`);
