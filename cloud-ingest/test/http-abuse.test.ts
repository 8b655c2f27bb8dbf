/**
 * The ingest's HTTP surface as an attacker would try it (issue 13 finding 7): a page served
 * under a foreign Host (DNS rebinding), query strings that used to answer 500 and log
 * nothing, and a fuzz of every query parameter of every route — none may answer 500, and a
 * real 500 is logged. Real ingest, real port for the Host checks, inject() for the fuzz.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { seededRandom } from '@ganzhi/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { type Ingest, startIngest } from '../src/ingest.js';
import { createSqliteSink, type SqliteSink } from '../src/sinks/sqlite-sink.js';
import { capturedLogger } from './captured-logger.js';
import { startBroker, type TestBroker, testConfig } from './e2e-helpers.js';

/** GET over a real socket with the Host header as given (fetch would not let us set it). */
function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An HTTP/1.0 request without any Host header. */
function getWithoutHost(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (c) => {
      got += c;
    });
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

const T0 = Date.now() - 3_600_000;

describe('the ingest HTTP surface under abuse', () => {
  let broker: TestBroker;
  let ingest: Ingest;
  let sink: SqliteSink;
  let port: number;
  const log = capturedLogger();

  beforeAll(async () => {
    broker = await startBroker();
    const dir = tempDir('ganzhi-http-abuse-');
    sink = createSqliteSink({ file: join(dir, 'ingest.db') });
    await sink.write(
      Array.from(
        { length: 50 },
        (_, i) =>
          `energy_meter,device=m-1,district=north,gateway=gw-1,model=eastron-sdm630,quality=good p=${i} ${T0 + i * 1000}`,
      ),
    );
    const cfg = testConfig(
      dir,
      broker.url,
      { type: 'null' },
      {
        http: { port: 0, allowedHosts: ['ingest.city.example', '.ops.city.example'] },
      },
    );
    ingest = await startIngest(cfg, { logger: log.logger, sink });
    port = Number(new URL(ingest.httpUrl).port);
    await waitFor('connected', () => ingest.receiver.connected || undefined);
  });
  afterAll(async () => {
    await ingest?.close();
    await broker?.close();
  });

  it('refuses a foreign Host with 421 and serves nothing of the page or the API', async () => {
    for (const path of [
      '/hub',
      '/api/hub/overview',
      '/api/completeness',
      '/metrics',
      '/api/series?measurement=energy_meter',
    ]) {
      for (const host of [
        'evil.example',
        `evil.example:${port}`,
        'rebind.attacker.test.',
        'localhost.evil.example',
        'ops.city.example.evil',
      ]) {
        const r = await get(port, path, host);
        expect(r.status, `${host} ${path}`).toBe(421);
        expect(r.body).not.toMatch(/<html|<!doctype|ganzhi_ingest_|energy_meter|"gateways"/i);
        expect(JSON.parse(r.body)).toMatchObject({ code: 'GZ_HOST_REFUSED' });
      }
    }
    const raw = await getWithoutHost(port, '/hub');
    expect(raw).toMatch(/^HTTP\/1\.[01] 421/);
    expect(raw).not.toMatch(/<html/i);
  });

  it('answers loopback names, addresses, the listen host and the configured names', async () => {
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      'LOCALHOST',
      'ingest.city.example',
      `ingest.city.example:${port}`,
      'a.ops.city.example',
      '10.1.2.3',
    ]) {
      const r = await get(port, '/hub', host);
      expect(r.status, host).toBe(200);
      expect(r.body).toMatch(/<html/i);
    }
  });

  it('counts every refused Host on /metrics and logs them rate-limited, naming the client', async () => {
    for (let i = 0; i < 100; i++) await get(port, '/metrics', 'flood.evil.example');
    // 126 refused so far (this test and the first one): at most a burst of 10 lines, plus one
    // per 6 s the tests took
    const logged = log.lines.filter((l) => l.event === 'host-refused').length;
    expect(logged).toBeGreaterThan(0);
    expect(logged).toBeLessThanOrEqual(12);
    const line = log.lines.find((l) => l.event === 'host-refused');
    expect(line).toMatchObject({ level: 40, address: '127.0.0.1', what: expect.stringContaining('Host') });
    const metrics = (await get(port, '/metrics', 'localhost')).body;
    const refused = Number(/ganzhi_ingest_events_total\{event="host-refused"\} (\d+)/.exec(metrics)?.[1]);
    expect(refused).toBe(126);
    const suppressed = Number(
      /ganzhi_ingest_events_suppressed_total\{event="host-refused"\} (\d+)/.exec(metrics)?.[1],
    );
    expect(suppressed + logged).toBe(126);
  });

  it('answers 400 naming the parameter for every= with 400 nines (it was a 500, logged nowhere)', async () => {
    const r = await ingest.http.inject({
      url: `/api/series?measurement=energy_meter&every=${'9'.repeat(400)}`,
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'GZ_QUERY_INVALID', message: expect.stringContaining('every') });
  });

  it('a real 500 is logged with its cause and answered without it (fault injection: a failing store reader)', async () => {
    const reader = sink.reader;
    const original = reader.series;
    (reader as { series: typeof original }).series = () => {
      throw new Error('fault injection: disk I/O error');
    };
    try {
      const r = await ingest.http.inject({ url: '/api/series?measurement=energy_meter' });
      expect(r.statusCode).toBe(500);
      expect(r.body).not.toContain('fault injection');
      expect(log.lines).toContainEqual(
        expect.objectContaining({
          level: 50,
          err: expect.objectContaining({ message: expect.stringContaining('fault injection') }),
        }),
      );
    } finally {
      (reader as { series: typeof original }).series = original;
    }
  });

  it('fuzz: no query string on any route answers 500', async () => {
    const rnd = seededRandom(Number(process.env.GZ_FUZZ_SEED ?? 20261206));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const routes = [
      '/api/series',
      '/api/completeness',
      '/api/hub/overview',
      '/api/hub/devices',
      '/api/hub/points',
      '/api/hub/series',
      '/readyz',
      '/healthz',
      '/metrics',
      '/hub',
    ];
    const params = [
      'measurement',
      'district',
      'gateway',
      'device',
      'point',
      'quality',
      'from',
      'to',
      'every',
      'fn',
      'limit',
      'since',
      '__proto__',
      'constructor',
      'x',
    ];
    const values = [
      '',
      '9'.repeat(400),
      `-${'9'.repeat(30)}`,
      '1e400',
      '-1',
      '0',
      '1.5',
      'NaN',
      'Infinity',
      '9007199254740993',
      '1e21',
      '0x10',
      '10s',
      '99999999999999999d',
      '1ms',
      '2026-13-45T99:99:99Z',
      '+275760-09-13T00:00:00.001Z',
      'north',
      'energy_meter',
      'mean',
      'count',
      'last',
      'good',
      "' OR 1=1 --",
      '"; DROP TABLE readings; --',
      '%',
      '%zz',
      '%00',
      '\u0000',
      'é',
      '💥',
      'a'.repeat(10_000),
      '[object Object]',
      'toString',
    ];
    const enc = (v: string) => (rnd() < 0.8 ? encodeURIComponent(v) : v.replace(/[ #&]/g, ''));
    let n = 0;
    for (let i = 0; i < 3000; i++) {
      const parts: string[] = [];
      const k = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < k; j++) parts.push(`${pick(params)}=${enc(pick(values))}`);
      if (rnd() < 0.5) parts.push('measurement=energy_meter');
      if (rnd() < 0.3) parts.push('district=north&gateway=gw-1&device=m-1&point=p');
      const url = `${pick(routes)}?${parts.join('&')}`;
      const r = await ingest.http.inject({ url });
      expect(r.statusCode, url.slice(0, 300)).toBeLessThan(500);
      n++;
    }
    expect(n).toBe(3000);
  });
});
