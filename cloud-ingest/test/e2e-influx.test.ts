/**
 * Broker → ingest → InfluxDB 1.6 (v1 /write) and → VictoriaMetrics (v2 write API), checked
 * with InfluxQL and the export API; then faults: the store restarted mid-stream, and the
 * ingest process killed with SIGKILL mid-stream. Afterwards the store holds every
 * published reading exactly once.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxdPeer, influxdPeer, startInfluxd } from '../../test-support/influxdb.js';
import { spawnLogged, tempDir, waitFor } from '../../test-support/process.js';
import { startVictoria, type VictoriaPeer, victoriaPeer } from '../../test-support/victoria.js';
import { loadTrackerState } from '../src/completeness/state-file.js';
import { CompletenessTracker } from '../src/completeness/tracker.js';
import { type Ingest, startIngest } from '../src/ingest.js';
import {
  batch,
  connectPublisher,
  type Gw,
  publishBatch,
  startBroker,
  type TestBroker,
  testConfig,
} from './e2e-helpers.js';

const logger = pino({ level: 'silent' });
const influxOk = influxdPeer().ok;
const vmOk = victoriaPeer().ok;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Publishes batches seq from..to-1 for each gateway, `window` in flight at a time. */
async function publishRange(pub: MqttClient, gws: Gw[], from: number, to: number, t0: number): Promise<void> {
  const inFlight: Promise<void>[] = [];
  for (let s = from; s < to; s++) {
    for (const gw of gws) inFlight.push(publishBatch(pub, batch(gw, s, t0 + s * 1000)));
    if (inFlight.length >= 64) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
}

async function influxCount(influx: InfluxdPeer, db: string): Promise<number> {
  const r = await influx.query('SELECT COUNT(p0), COUNT(p4) FROM energy_meter', db);
  const v = r.results[0]?.series?.[0]?.values[0];
  return v ? (v[1] as number) + (v[2] as number) : 0;
}

describe.skipIf(!influxOk)('broker → ingest → InfluxDB 1.6', () => {
  let broker: TestBroker;
  let influx: InfluxdPeer;
  let pub: MqttClient;
  const T0 = Date.now() - 24 * 3600_000;

  beforeAll(async () => {
    [broker, influx] = await Promise.all([startBroker(), startInfluxd()]);
    pub = await connectPublisher(broker.url);
  });
  afterAll(async () => {
    await pub?.endAsync();
    await broker?.close();
    await influx?.close();
  });

  it('writes the documented schema: measurement, tags, typed fields, ms source timestamps', async () => {
    await influx.createDatabase('schema');
    const dir = tempDir('ganzhi-e2e-influx-');
    const ingest = await startIngest(
      testConfig(dir, broker.url, { type: 'influxdb-v1', url: influx.url, database: 'schema' }),
      { logger },
    );
    try {
      await waitFor('connected', () => ingest.receiver.connected || undefined);
      const gw: Gw = { district: 'east', gateway: 'gw-s', device: 'meter-9', stream: 'st' };
      const b = batch(gw, 0, T0 + 123, 2);
      b.readings.push({ point: 'relay', value: true, ts: T0 + 123, quality: 'good' });
      b.readings.push({ point: 'label', value: 'ok "quoted"', ts: T0 + 123, quality: 'good' });
      b.readings.push({ point: 'temp', value: null, ts: T0 + 123, quality: 'bad', reason: 'timeout' });
      await publishBatch(pub, b);
      const rows = await waitFor('rows', async () => {
        const r = await influx.query('SELECT * FROM energy_meter GROUP BY *', 'schema');
        return r.results[0]?.series && r.results[0].series.length >= 2 ? r.results[0].series : undefined;
      });
      const good = rows.find((s) => s.tags?.quality === 'good');
      expect(good?.tags).toEqual({
        device: 'meter-9',
        district: 'east',
        gateway: 'gw-s',
        model: 'eastron-sdm630',
        quality: 'good',
      });
      const row = Object.fromEntries(good!.columns.map((c, i) => [c, good!.values[0]![i]]));
      expect(row).toMatchObject({ time: T0 + 123, p0: 0, p1: 0.1, relay: true, label: 'ok "quoted"' });
      const bad = rows.find((s) => s.tags?.quality === 'bad');
      const badRow = Object.fromEntries(bad!.columns.map((c, i) => [c, bad!.values[0]![i]]));
      expect(badRow).toMatchObject({ time: T0 + 123, temp_reason: 'timeout' });
      const fields = await influx.query('SHOW FIELD KEYS FROM energy_meter', 'schema');
      const types = Object.fromEntries(
        (fields.results[0]?.series?.[0]?.values ?? []).map((v) => [v[0], v[1]]),
      );
      expect(types).toEqual({
        p0: 'float',
        p1: 'float',
        relay: 'boolean',
        label: 'string',
        temp_reason: 'string',
      });
      const tagKeys = await influx.query('SHOW TAG KEYS FROM energy_meter', 'schema');
      expect((tagKeys.results[0]?.series?.[0]?.values ?? []).map((v) => v[0])).toEqual([
        'device',
        'district',
        'gateway',
        'model',
        'quality',
      ]);
    } finally {
      await ingest.close();
    }
  });

  it('store restarted mid-stream: every reading stored exactly once, writes retried', async () => {
    await influx.createDatabase('restart');
    const dir = tempDir('ganzhi-e2e-restart-');
    const ingest: Ingest = await startIngest(
      testConfig(dir, broker.url, {
        type: 'influxdb-v1',
        url: influx.url,
        database: 'restart',
        retry: { maxAttempts: 1 },
        timeoutMs: 2000,
      }),
      { logger },
    );
    try {
      await waitFor('connected', () => ingest.receiver.connected || undefined);
      const gws: Gw[] = [
        { district: 'east', gateway: 'gw-r1', device: 'm1', stream: 'r1' },
        { district: 'west', gateway: 'gw-r2', device: 'm2', stream: 'r2' },
      ];
      await publishRange(pub, gws, 0, 300, T0);
      await waitFor('first part stored', async () =>
        (await influxCount(influx, 'restart')) > 0 ? true : undefined,
      );
      await influx.stop();
      await publishRange(pub, gws, 300, 600, T0); // acked by the ingest: in its log
      await waitFor('a write failed', () => (ingest.metrics.retries.get() > 0 ? true : undefined));
      expect((await ingest.http.inject({ url: '/readyz' })).statusCode).toBe(503);
      await influx.start();
      const expected = 600 * gws.length * 2;
      await waitFor(
        'all stored',
        async () => ((await influxCount(influx, 'restart')) === expected ? true : undefined),
        30_000,
      );
      const figures = ingest.tracker.figures();
      expect(figures.map((g) => [g.gateway, g.received, g.missing])).toEqual([
        ['gw-r1', 600, 0],
        ['gw-r2', 600, 0],
      ]);
      await waitFor('log drained', () => (ingest.writer.depth === 0 ? true : undefined));
    } finally {
      await ingest.close();
    }
  });

  it('kill -9 of the ingest mid-stream: after a restart every reading is stored exactly once', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} missing: run npx tsc -b first`);
    await influx.createDatabase('kill');
    const dir = tempDir('ganzhi-e2e-kill-');
    const cfg = join(dir, 'ingest.yaml');
    writeFileSync(
      cfg,
      [
        `mqtt: { url: "${broker.url}", clientId: kill-test-ingest }`,
        `store: { type: influxdb-v1, url: "${influx.url}", database: kill }`,
        'batch: { lines: 200, flushMs: 20 }',
        'log: { dir: ./log, fsyncIntervalMs: 0 }',
        'completeness: { file: ./completeness.json, writeEveryMs: 0 }',
        'http: { port: 0 }',
        'logLevel: warn',
      ].join('\n'),
    );
    const start = () => spawnLogged(process.execPath, [CLI, '--config', cfg], { dir, name: 'ingest' });
    const gws: Gw[] = [
      { district: 'east', gateway: 'gw-k1', device: 'm1', stream: 'k1' },
      { district: 'west', gateway: 'gw-k2', device: 'm2', stream: 'k2' },
    ];
    let child = start();
    try {
      await waitFor('ingest subscribed', () => (broker.broker.connectedClients >= 2 ? true : undefined));
      await new Promise((r) => setTimeout(r, 200));
      const publishing = publishRange(pub, gws, 0, 1500, T0);
      await waitFor(
        'some stored',
        async () => ((await influxCount(influx, 'kill')) > 1000 ? true : undefined),
        20_000,
      );
      await child.kill9();
      const atKill = await influxCount(influx, 'kill');
      await publishing; // the broker queues the rest for the persistent session
      child = start();
      const expected = 1500 * gws.length * 2;
      expect(atKill).toBeLessThan(expected); // killed mid-stream
      await waitFor(
        'all stored',
        async () => ((await influxCount(influx, 'kill')) === expected ? true : undefined),
        30_000,
      );
      // exactly once: one value per series and timestamp, none missing
      const perTs = await influx.query('SELECT COUNT(p0) FROM energy_meter GROUP BY gateway', 'kill');
      expect((perTs.results[0]?.series ?? []).map((s) => s.values[0]?.[1])).toEqual([1500, 1500]);
      // a graceful stop persists the completeness figures; the kill did not reset or double them
      await child.stop();
      const figures = new CompletenessTracker(loadTrackerState(join(dir, 'completeness.json'))).figures();
      expect(figures.map((g) => [g.gateway, g.received, g.missing])).toEqual([
        ['gw-k1', 1500, 0],
        ['gw-k2', 1500, 0],
      ]);
    } finally {
      await child.stop();
    }
  });
});

describe.skipIf(!vmOk)('broker → ingest → VictoriaMetrics (v2 write API)', () => {
  let broker: TestBroker;
  let vm: VictoriaPeer;
  beforeAll(async () => {
    [broker, vm] = await Promise.all([startBroker(), startVictoria()]);
  });
  afterAll(async () => {
    await broker?.close();
    await vm?.close();
  });

  it('stores every reading as {measurement}_{field} with the contract tags as labels', async () => {
    const dir = tempDir('ganzhi-e2e-vm-');
    const ingest = await startIngest(
      testConfig(dir, broker.url, {
        type: 'influxdb-v2',
        url: vm.url,
        org: 'ganzhi',
        bucket: 'telemetry',
        token: 'token-for-test',
      }),
      { logger },
    );
    const pub = await connectPublisher(broker.url);
    try {
      await waitFor('connected', () => ingest.receiver.connected || undefined);
      const T0 = Date.now() - 3600_000;
      const gw: Gw = { district: 'north', gateway: 'gw-v', device: 'meter-v', stream: 'sv' };
      for (let s = 0; s < 50; s++) await publishBatch(pub, batch(gw, s, T0 + s * 1000, 3));
      const series = await vm.exportSettled('{__name__=~"energy_meter_p.*"}', 150);
      expect(series.map((s) => s.metric.__name__).sort()).toEqual([
        'energy_meter_p0',
        'energy_meter_p1',
        'energy_meter_p2',
      ]);
      const p1 = series.find((s) => s.metric.__name__ === 'energy_meter_p1')!;
      expect(p1.metric).toMatchObject({
        device: 'meter-v',
        district: 'north',
        gateway: 'gw-v',
        model: 'eastron-sdm630',
        quality: 'good',
      });
      expect(p1.timestamps).toEqual(Array.from({ length: 50 }, (_, s) => T0 + s * 1000));
      expect(p1.values).toEqual(Array.from({ length: 50 }, (_, s) => s + 0.1));
    } finally {
      await pub.endAsync();
      await ingest.close();
    }
  });
});
