/**
 * Broker → ingest → SQLite, in process: contract batches in, every reading stored once,
 * bad input dead-lettered without losing neighbours, completeness figures, HTTP surface.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { type Ingest, startIngest } from '../src/ingest.js';
import type { SqliteSink } from '../src/sinks/sqlite-sink.js';
import {
  batch,
  connectPublisher,
  type Gw,
  publishBatch,
  publishRaw,
  startBroker,
  type TestBroker,
  testConfig,
} from './e2e-helpers.js';

const logger = pino({ level: 'silent' });

describe('broker → ingest → SQLite', () => {
  let broker: TestBroker;
  let pub: MqttClient;
  let ingest: Ingest;
  let dir: string;
  const T0 = Date.now() - 600_000;
  const a: Gw = { district: 'north', gateway: 'gw-a', device: 'meter-1', stream: 'sa' };
  const b: Gw = { district: 'south', gateway: 'gw-b', device: 'meter-2', stream: 'sb' };

  beforeAll(async () => {
    broker = await startBroker();
    dir = tempDir('ganzhi-e2e-sqlite-');
    ingest = await startIngest(
      testConfig(dir, broker.url, { type: 'sqlite', file: join(dir, 'ingest.db') }),
      {
        logger,
      },
    );
    await waitFor('ingest connected', () => ingest.receiver.connected || undefined);
    pub = await connectPublisher(broker.url);
  });
  afterAll(async () => {
    await pub?.endAsync();
    await ingest?.close();
    await broker?.close();
  });

  it('stores every reading once, with gaps, duplicates and late arrivals counted', async () => {
    // gateway a: seq 0..19 in order; gateway b: 0..9 with 4 missing, 7 late, 2 twice
    for (let s = 0; s < 20; s++) await publishBatch(pub, batch(a, s, T0 + s * 1000));
    for (const s of [0, 1, 2, 3, 5, 6, 8, 9, 7, 2]) await publishBatch(pub, batch(b, s, T0 + s * 1000));
    const db = (ingest.sink as SqliteSink).db;
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n;
    await waitFor('29 batches stored', () => (count() === (20 + 9) * 5 ? true : undefined));
    await waitFor(
      'the duplicate counted',
      () => ingest.tracker.figures({ district: 'south' })[0]?.duplicates === 1 || undefined,
    );
    const res = await ingest.http.inject({ url: '/api/completeness' });
    const body = res.json() as {
      gateways: { gateway: string; received: number; missing: number; duplicates: number; late: number }[];
    };
    const gb = body.gateways.find((g) => g.gateway === 'gw-b');
    expect(gb).toMatchObject({ received: 9, missing: 1, duplicates: 1, late: 1 });
    expect(body.gateways.find((g) => g.gateway === 'gw-a')).toMatchObject({
      received: 20,
      missing: 0,
      duplicates: 0,
    });
    const south = (await ingest.http.inject({ url: '/api/completeness?district=south' })).json() as {
      gateways: unknown[];
    };
    expect(south.gateways).toHaveLength(1);
  });

  it('dead-letters an invalid message and a bad reading; its valid neighbours are stored', async () => {
    const bad = batch(a, 100, T0 + 100_000, 3);
    (bad.readings[1] as { value: unknown }).value = { nested: true };
    await publishRaw(pub, 'gz/v1/north/gw-a/meter-1/data', JSON.stringify(bad));
    await publishRaw(pub, 'gz/v1/north/gw-a/meter-1/data', 'not json at all');
    await publishBatch(pub, batch(a, 101, T0 + 101_000, 2));
    const db = (ingest.sink as SqliteSink).db;
    await waitFor('seq 101 stored', () =>
      (db.prepare('SELECT COUNT(*) AS n FROM readings WHERE ts = ?').get(T0 + 101_000) as { n: number }).n ===
      2
        ? true
        : undefined,
    );
    const kept = db
      .prepare('SELECT point FROM readings WHERE ts = ? ORDER BY point')
      .pluck()
      .all(T0 + 100_000);
    expect(kept).toEqual(['p0', 'p2']);
    const dl = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dl).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'reading', point: 'p1' }),
        expect.objectContaining({ kind: 'message', payload: 'not json at all' }),
      ]),
    );
    const metrics = (await ingest.http.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/ganzhi_ingest_dead_letters_total\{kind="message"\} 1/);
    expect(metrics).toMatch(/ganzhi_ingest_dead_letters_total\{kind="reading"\} 1/);
  });

  it('answers /api/series with raw and aggregated readings, and /readyz', async () => {
    const raw = (
      await ingest.http.inject({
        url: `/api/series?measurement=energy_meter&device=meter-1&point=p0&from=${T0}&to=${T0 + 5000}`,
      })
    ).json() as { series: { point: string; values: unknown[][] }[] };
    expect(raw.series).toHaveLength(1);
    expect(raw.series[0]?.values).toEqual([0, 1, 2, 3, 4].map((s) => [T0 + s * 1000, s, 'good']));
    const q = `/api/series?measurement=energy_meter&device=meter-1&point=p0&from=${T0}&to=${T0 + 20_000}`;
    const counts = (await ingest.http.inject({ url: `${q}&every=5s&fn=count` })).json() as {
      series: { values: [number, number][] }[];
    };
    expect(counts.series[0]?.values.reduce((n, v) => n + v[1], 0)).toBe(20);
    const max = (await ingest.http.inject({ url: `${q}&fn=max` })).json() as {
      series: { values: [number, number][] }[];
    };
    expect(max.series[0]?.values.map((v) => v[1])).toEqual([19]);
    const bad = await ingest.http.inject({ url: '/api/series?device=x' });
    expect(bad.statusCode).toBe(400);
    expect((await ingest.http.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await ingest.http.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
