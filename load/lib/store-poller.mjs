// Finds when each tracked reading becomes queryable in the ingest's SQLite store(s).
// Tracked readings carry a negative, unique value (-id) and their source ts; the poller
// runs `SELECT value, ts FROM readings WHERE ts >= <oldest pending ts> AND value < 0` on a
// read-only connection every `intervalMs` and records, per reading, queryable time − ts.
// Resolution: the poll interval plus the query time (both reported).
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export function createStorePoller(dbFiles, { intervalMs = 20, giveUpMs = 60_000 } = {}) {
  const pending = new Map(); // id -> source ts, in publish (= ts) order
  const latencies = [];
  const storedAt = []; // wall time each tracked reading was first seen (for sustained rate)
  let dbs = [];
  let timer;
  let polls = 0;
  let pollMs = 0;
  let abandoned = 0;

  function open() {
    dbs = dbFiles
      .filter((f) => existsSync(f))
      .map((f) => {
        const db = new Database(f, { readonly: true, fileMustExist: true });
        return db.prepare('SELECT value, ts FROM readings WHERE ts >= ? AND value < 0');
      });
  }

  function pollOnce() {
    if (dbs.length < dbFiles.length) open();
    if (pending.size === 0) return;
    const t0 = performance.now();
    let oldest;
    const now0 = Date.now();
    for (const [id, ts] of pending) {
      if (now0 - ts > giveUpMs) {
        pending.delete(id);
        abandoned++;
        continue;
      }
      oldest = ts;
      break;
    }
    if (oldest === undefined) return;
    for (const stmt of dbs) {
      let rows;
      try {
        rows = stmt.raw().all(oldest);
      } catch {
        continue; // SQLITE_BUSY while the writer checkpoints: next poll
      }
      const seenAt = Date.now();
      for (const [value] of rows) {
        const id = -value;
        const ts = pending.get(id);
        if (ts === undefined) continue;
        pending.delete(id);
        latencies.push(seenAt - ts);
        storedAt.push(seenAt);
      }
    }
    polls++;
    pollMs += performance.now() - t0;
  }

  return {
    track(id, ts) {
      pending.set(id, ts);
    },
    start() {
      timer = setInterval(pollOnce, intervalMs);
    },
    poll: pollOnce,
    stop() {
      clearInterval(timer);
    },
    get pending() {
      return pending.size;
    },
    get abandoned() {
      return abandoned;
    },
    latencies,
    storedAt,
    stats() {
      return { polls, meanPollMs: polls ? pollMs / polls : 0 };
    },
  };
}
