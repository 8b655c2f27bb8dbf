/**
 * The SQLite sink with its writes in a worker thread (the default for the service): the
 * same layout and behaviour as sqlite-sink.ts, but transactions run off the main thread,
 * so receiving (PUBACKs), the writer's decoding and HTTP queries go on meanwhile. `db` is
 * a read-only connection for queries (WAL: readers never block the writer).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { IngestError, type IngestErrorCode } from '../errors.js';
import type { WriteResult } from '../sink.js';
import { sqliteReader } from './sqlite-query.js';
import type { SqliteSink, SqliteSinkOptions } from './sqlite-sink.js';

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { code: IngestErrorCode; message: string; retriable: boolean };
}

/** dist/sinks/sqlite-worker.js (under vitest, src/ is TypeScript: use the built file). */
function workerFile(): URL {
  const here = new URL('./sqlite-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../../dist/sinks/sqlite-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new IngestError('GZ_SINK_UNAVAILABLE', 'sqlite-worker.js not found: run npx tsc -b', {
    retriable: false,
  });
}

export async function createSqliteThreadSink(opts: SqliteSinkOptions): Promise<SqliteSink> {
  const worker = new Worker(workerFile(), { workerData: opts });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let dead: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
  });
  worker.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new IngestError(m.error!.code, m.error!.message, { retriable: m.error!.retriable }));
  });
  const fail = (err: Error) => {
    dead = err;
    for (const p of pending.values())
      p.reject(new IngestError('GZ_SINK_UNAVAILABLE', `SQLite worker: ${err.message}`, { cause: err }));
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!dead) fail(new Error(`exited (${code})`));
  });
  await ready;
  const db = new Database(opts.file, { readonly: true });
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  let closed = false;
  const call = (req: Record<string, unknown>): Promise<unknown> => {
    if (closed) return Promise.reject(new IngestError('GZ_SINK_CLOSED', 'the SQLite sink is closed'));
    if (dead) return Promise.reject(new IngestError('GZ_SINK_UNAVAILABLE', `SQLite worker: ${dead.message}`));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...req });
    });
  };
  return {
    kind: 'sqlite',
    db,
    reader: sqliteReader(db),
    async write(lines): Promise<WriteResult> {
      if (lines.length === 0 && !closed) return { written: 0, rejected: [] };
      return (await call({ op: 'write', lines })) as WriteResult;
    },
    async check() {
      await call({ op: 'check' });
    },
    async close() {
      if (closed) return;
      if (!dead) await call({ op: 'close' }).catch(() => {});
      closed = true;
      db.close();
      await worker.terminate();
    },
  };
}
