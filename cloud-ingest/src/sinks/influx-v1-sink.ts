/**
 * InfluxDB 1.x `/write` (database, retention policy, user/password, precision ms). Also
 * works with 1.8+/2.x's v1 compatibility endpoint.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { IngestError } from '../errors.js';
import type { Sink } from '../sink.js';
import {
  commonParts,
  createHttpSink,
  type HttpSinkCommonOptions,
  outcomeOf,
  unreachable,
} from './http-write.js';
import type { SendOutcome } from './isolate.js';

const gzipAsync = promisify(gzip);

export interface InfluxV1Options extends HttpSinkCommonOptions {
  url: string;
  database: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  /** gzip bodies larger than this many bytes (default: never; on a LAN gzip costs more than it saves) */
  gzipThreshold?: number;
  timeoutMs?: number;
}

export function createInfluxV1Sink(opts: InfluxV1Options): Sink {
  const base = opts.url.replace(/\/+$/, '');
  const params = new URLSearchParams({ db: opts.database, precision: 'ms' });
  if (opts.retentionPolicy) params.set('rp', opts.retentionPolicy);
  const writeUrl = `${base}/write?${params}`;
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (opts.username !== undefined) {
    const cred = Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64');
    headers.authorization = `Basic ${cred}`;
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function post(body: string): Promise<SendOutcome> {
    let payload: string | Buffer = body;
    const h = { ...headers };
    if (opts.gzipThreshold !== undefined && Buffer.byteLength(body) > opts.gzipThreshold) {
      payload = await gzipAsync(body);
      h['content-encoding'] = 'gzip';
    }
    let res: Response;
    try {
      res = await fetch(writeUrl, {
        method: 'POST',
        body: payload,
        headers: h,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw unreachable('InfluxDB', err);
    }
    if (res.status === 204 || res.status === 200) {
      await res.arrayBuffer();
      return { ok: true };
    }
    const text = await res.text().catch(() => '');
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: keep the text
    }
    return outcomeOf('InfluxDB', res.status, message.slice(0, 64_000), res.headers.get('retry-after'));
  }

  return createHttpSink({
    kind: 'influxdb-v1',
    name: 'the InfluxDB v1 sink',
    send: (lines) => post(lines.join('\n')),
    async probe() {
      // An empty write checks reachability, credentials and that the database exists.
      const out = await post('');
      if (!out.ok)
        throw new IngestError('GZ_SINK_REFUSED', `InfluxDB refused an empty write: ${out.message}`);
    },
    ...commonParts(opts),
  });
}
