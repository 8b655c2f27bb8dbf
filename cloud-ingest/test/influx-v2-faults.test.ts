/**
 * The v2 sink against a scripted HTTP server (fault injection, named as such): Retry-After
 * honoured, 400 bodies naming lines, 5xx then success, gzip and the token header.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createInfluxV2Sink } from '../src/sinks/influx-v2-sink.js';

interface Seen {
  body: string;
  headers: IncomingMessage['headers'];
  url: string;
}

/** A fake InfluxDB v2 write endpoint answering with the scripted responses in turn (then 204). */
async function scriptedServer(
  script: ((seen: Seen) => { status: number; headers?: Record<string, string>; body?: string })[],
) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const s = { body: raw.toString(), headers: req.headers, url: req.url ?? '' };
      seen.push(s);
      const step = script.shift();
      const r = step ? step(s) : { status: 204 };
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('InfluxDB v2 sink against a scripted server (fault injection)', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
  });

  it('honours Retry-After on 429 and retries 503 with backoff, then writes', async () => {
    const srv = await scriptedServer([
      () => ({
        status: 429,
        headers: { 'retry-after': '7' },
        body: '{"code":"too many requests","message":"slow down"}',
      }),
      () => ({ status: 503, body: '{"code":"unavailable","message":"busy"}' }),
    ]);
    close = srv.close;
    const waits: number[] = [];
    const sink = createInfluxV2Sink({
      url: srv.url,
      org: 'city',
      bucket: 'sensing',
      token: 'tok-123',
      retry: { maxAttempts: 5, minDelayMs: 100, jitter: 0 },
      // a clock that records each wait and lets it pass at once
      clock: {
        now: Date.now,
        setTimeout: (fn, ms) => {
          waits.push(ms);
          return setTimeout(fn, 0);
        },
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      },
    });
    const r = await sink.write(['m,device=a x=1 1000']);
    expect(r).toEqual({ written: 1, rejected: [] });
    expect(waits).toEqual([7000, 200]);
    expect(srv.seen).toHaveLength(3);
    expect(srv.seen[0]?.headers.authorization).toBe('Token tok-123');
    expect(srv.seen[0]?.url).toBe('/api/v2/write?org=city&bucket=sensing&precision=ms');
  });

  it('dead-letters only the lines a 400 names; the others are written', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `m,device=a x=${i} ${1000 + i}`);
    lines[4] = 'm,device=a x=1i 1004'; // the store refuses it (say, a type conflict it names)
    const srv = await scriptedServer([
      () => ({
        status: 400,
        body: JSON.stringify({
          code: 'invalid',
          message: `unable to parse '${lines[4]}': field type conflict`,
        }),
      }),
    ]);
    close = srv.close;
    const sink = createInfluxV2Sink({ url: srv.url, org: 'o', bucket: 'b', retry: { maxAttempts: 1 } });
    const r = await sink.write(lines);
    expect(r.rejected).toEqual([
      { index: 4, line: lines[4], reason: 'unable to parse: field type conflict' },
    ]);
    expect(srv.seen[1]?.body.split('\n')).toEqual(lines.filter((_, i) => i !== 4));
  });

  it('gzips bodies above gzipThreshold only', async () => {
    const srv = await scriptedServer([]);
    close = srv.close;
    const sink = createInfluxV2Sink({ url: srv.url, org: 'o', bucket: 'b', gzipThreshold: 200 });
    await sink.write(['m x=1 1']);
    await sink.write(Array.from({ length: 20 }, (_, i) => `m,device=a x=${i} ${i}`));
    expect(srv.seen.map((s) => s.headers['content-encoding'] ?? 'identity')).toEqual(['identity', 'gzip']);
    expect(srv.seen[1]?.body.split('\n')).toHaveLength(20);
  });

  it('401 is GZ_SINK_REFUSED and retriable (an operator must fix the token)', async () => {
    const srv = await scriptedServer([
      () => ({ status: 401, body: '{"code":"unauthorized","message":"unauthorized access"}' }),
    ]);
    close = srv.close;
    const sink = createInfluxV2Sink({
      url: srv.url,
      org: 'o',
      bucket: 'b',
      token: 'wrong',
      retry: { maxAttempts: 1 },
    });
    await expect(sink.write(['m x=1 1'])).rejects.toMatchObject({ code: 'GZ_SINK_REFUSED', retriable: true });
  });
});
