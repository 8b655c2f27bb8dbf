/**
 * Worker-thread entry of the threaded SQLite sink: owns the writing connection, so a
 * 5000-line transaction never blocks the receiver's event loop (PUBACKs) or HTTP queries.
 * Protocol: { id, op: 'write', lines } | { id, op: 'check' } | { id, op: 'close' } →
 * { id, ok: true, result? } | { id, ok: false, error: { code, message, retriable } }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSqliteSink } from './sqlite-sink.js';

type Request = { id: number; op: 'write'; lines: string[] } | { id: number; op: 'check' | 'close' };

const port = parentPort;
if (port) {
  const sink = createSqliteSink(workerData as { file: string; busyTimeoutMs?: number });
  port.postMessage({ id: 0, ok: true });
  port.on('message', async (req: Request) => {
    try {
      const result =
        req.op === 'write'
          ? await sink.write(req.lines)
          : req.op === 'check'
            ? await sink.check()
            : await sink.close();
      port.postMessage({ id: req.id, ok: true, result });
      if (req.op === 'close') port.close();
    } catch (err) {
      const e = err as { code?: string; message?: string; retriable?: boolean };
      port.postMessage({
        id: req.id,
        ok: false,
        error: {
          code: e.code ?? 'GZ_SINK_UNAVAILABLE',
          message: e.message ?? String(err),
          retriable: e.retriable ?? true,
        },
      });
    }
  });
}
