/**
 * InfluxDB v2 write API (`/api/v2/write`) through `@influxdata/influxdb-client`: InfluxDB
 * 2.x, 3.x, 1.8+ and other stores that accept it (VictoriaMetrics). Lines are ready-made, so
 * they go through `WriteApi.writeRecords`; the client is used for transport, auth and gzip.
 * Each write gets its own WriteApi with the client's retry buffer switched off
 * (`maxRetries: 0`) so that a failure is reported for exactly the lines of that write; the
 * retry (backoff, jitter, Retry-After) and 400 isolation are ours (see http-write.ts).
 */
import { HttpError, InfluxDB, setLogger } from '@influxdata/influxdb-client';
import type { Sink } from '../sink.js';
import {
  commonParts,
  createHttpSink,
  type HttpSinkCommonOptions,
  outcomeOf,
  unreachable,
} from './http-write.js';
import type { SendOutcome } from './isolate.js';

export interface InfluxV2Options extends HttpSinkCommonOptions {
  url: string;
  org: string;
  bucket: string;
  /** never logged */
  token?: string;
  /** gzip bodies larger than this many bytes (client default 1000; on a LAN a large value is faster) */
  gzipThreshold?: number;
  timeoutMs?: number;
}

// The client logs every failed write to the console; failures are ours to report.
setLogger({ error: () => {}, warn: () => {} });

export function createInfluxV2Sink(opts: InfluxV2Options): Sink {
  const influx = new InfluxDB({ url: opts.url, token: opts.token, timeout: opts.timeoutMs ?? 30_000 });

  async function send(lines: string[]): Promise<SendOutcome> {
    const api = influx.getWriteApi(opts.org, opts.bucket, 'ms', {
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: lines.length + 1,
      gzipThreshold: opts.gzipThreshold ?? 1000,
    });
    try {
      api.writeRecords(lines);
      await api.flush();
      return { ok: true };
    } catch (err) {
      if (err instanceof HttpError) {
        const message = (err.json as { message?: string } | undefined)?.message ?? err.body ?? err.message;
        const ra = err.headers?.['retry-after'];
        return outcomeOf('InfluxDB v2', err.statusCode, message, Array.isArray(ra) ? ra[0] : ra);
      }
      throw unreachable('InfluxDB v2', err);
    } finally {
      api.dispose();
    }
  }

  async function probe(): Promise<void> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Token ${opts.token}`;
    const u = `${opts.url.replace(/\/+$/, '')}/api/v2/write?${new URLSearchParams({ org: opts.org, bucket: opts.bucket, precision: 'ms' })}`;
    let res: Response;
    try {
      res = await fetch(u, { method: 'POST', body: '', headers, signal: AbortSignal.timeout(5000) });
    } catch (err) {
      throw unreachable('InfluxDB v2', err);
    }
    await res.arrayBuffer();
    // 2xx, or 400 for the empty body: reachable, authorised, bucket exists.
    if (res.ok || res.status === 400) return;
    outcomeOf('InfluxDB v2', res.status, res.statusText, res.headers.get('retry-after'));
  }

  return createHttpSink({
    kind: 'influxdb-v2',
    name: 'the InfluxDB v2 sink',
    send,
    probe,
    ...commonParts(opts),
  });
}
