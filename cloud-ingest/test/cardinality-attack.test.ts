/**
 * One gateway's credential against the ingest's memory, the store's series and the hub
 * (issue 13 findings 4, 5 and 8), through our broker set up as an operator would (users per
 * gateway, district ACL, an ingest user) and a real MQTT.js client: the attacker floods
 * device ids, retained meta topics, `model` and `measurement` values, stream ids and wild
 * seqs. What is stored (series in SQLite), remembered (the limits, the completeness streams,
 * the hub's device list), counted (/metrics), refused (dead-letter lines) and logged is
 * checked exactly; a well-behaved gateway's data is all stored meanwhile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import {
  type DataBatch,
  deviceTopic,
  encodeDataBatch,
  encodeDeviceMeta,
  encodeGatewayState,
  gatewayTopic,
  LIMITS,
} from '@ganzhi/device-profiles/contract';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { type Ingest, startIngest } from '../src/ingest.js';
import { capturedLogger } from './captured-logger.js';
import { testConfig } from './e2e-helpers.js';
import { loginAs, type RealBroker, startRealBroker } from './real-broker.js';

const T0 = Date.now() - 3_600_000;
const LIMITS_UNDER_TEST = {
  devicesPerGateway: 50,
  seriesPerGateway: 80,
  pointsPerDevice: 100,
  streamsPerGateway: 16,
};

function batch(gateway: string, device: string, seq: number, over: Partial<DataBatch> = {}): DataBatch {
  return {
    v: 1,
    district: 'north',
    gateway,
    device,
    model: 'eastron-sdm630',
    measurement: 'energy_meter',
    stream: 'sa',
    seq,
    sent: T0,
    readings: [{ point: 'voltage_l1', value: 230 + (seq % 10), ts: T0 + seq, quality: 'good' }],
    ...over,
  };
}

describe('one gateway floods the ingest with names (a real broker and client)', () => {
  let broker: RealBroker;
  let ingest: Ingest;
  let evil: MqttClient;
  let good: MqttClient;
  let dir: string;
  let sent = 0;
  const log = capturedLogger();

  const send = async (c: MqttClient, topic: string, payload: Buffer, retain = false) => {
    await c.publishAsync(topic, payload, { qos: 1, retain });
    sent++;
  };
  const data = (c: MqttClient, b: DataBatch) =>
    send(c, deviceTopic(b.district, b.gateway, b.device, 'data'), encodeDataBatch(b));
  const meta = (device: string, points: number, profile = 'eastron-sdm630') =>
    send(
      evil,
      deviceTopic('north', 'gw-evil', device, 'meta'),
      encodeDeviceMeta({
        v: 1,
        profile,
        profileVersion: '1.0.0',
        model: 'SDM630',
        manufacturer: 'Eastron',
        measurement: 'energy_meter',
        points: Array.from({ length: points }, (_, i) => ({
          name: `p${i}`,
          type: 'float' as const,
          unit: 'V',
          access: 'read' as const,
        })),
      }),
      true,
    );

  beforeAll(async () => {
    broker = await startRealBroker({
      'gw-evil': { role: 'gateway', district: 'north', gateway: 'gw-evil' },
      'gw-good': { role: 'gateway', district: 'north', gateway: 'gw-good' },
      ingest: { role: 'ingest' },
    } as never);
    dir = tempDir('ganzhi-cardinality-');
    const cfg = testConfig(
      dir,
      broker.url,
      { type: 'sqlite', file: join(dir, 'ingest.db'), thread: false },
      {
        mqtt: {
          url: broker.url,
          clientId: 'ganzhi-ingest-attack',
          username: 'ingest',
          password: 'ingest-password',
        },
        limits: LIMITS_UNDER_TEST,
      },
    );
    ingest = await startIngest(cfg, { logger: log.logger });
    await waitFor('ingest connected', () => ingest.receiver.connected || undefined);
    await new Promise((r) => setTimeout(r, 200)); // subscribed
    evil = await loginAs(broker.url, 'gw-evil');
    good = await loginAs(broker.url, 'gw-good');

    let seq = 0;
    let goodSeq = 0;
    const goodBatch = () => data(good, batch('gw-good', 'meter-1', goodSeq++, { stream: 'good' }));
    // A: 500 device ids
    for (let d = 0; d < 500; d++) {
      await data(evil, batch('gw-evil', `d${d}`, seq++));
      if (d % 100 === 0) await goodBatch();
    }
    // B: 200 retained metas of new devices, one meta far too long, one fine
    for (let m = 0; m < 200; m++) await meta(`m${m}`, 3);
    await meta('d0', 2000);
    await meta('d1', 10);
    await goodBatch();
    // C: 200 invented models on one device, then every registered profile id
    for (let i = 0; i < 200; i++) await data(evil, batch('gw-evil', 'd0', seq++, { model: `x-model-${i}` }));
    for (const id of ProfileRegistry.builtin().ids())
      await data(evil, batch('gw-evil', 'd0', seq++, { model: id }));
    await goodBatch();
    // D: 100 invented measurements on another device
    for (let i = 0; i < 100; i++)
      await data(evil, batch('gw-evil', 'd1', seq++, { measurement: `meas_${i}` }));
    // E: a wild seq (finding 5), then 40 invented stream ids
    await data(evil, batch('gw-evil', 'd2', Number.MAX_SAFE_INTEGER));
    for (let i = 0; i < 40; i++) await data(evil, batch('gw-evil', 'd3', 0, { stream: `s${i}` }));
    // F: a birth listing the contract's most devices
    await send(
      evil,
      gatewayTopic('north', 'gw-evil', 'state'),
      encodeGatewayState({
        v: 1,
        state: 'online',
        ts: T0,
        devices: Array.from({ length: LIMITS.maxBirthDevices }, (_, i) => `b${i}`),
      }),
      true,
    );
    // G: a payload speaking for another gateway, and a broken one carrying a secret
    await send(
      evil,
      deviceTopic('north', 'gw-evil', 'd0', 'data'),
      encodeDataBatch(batch('gw-good', 'd0', 1)),
    );
    await send(
      evil,
      deviceTopic('north', 'gw-evil', 'd0', 'data'),
      Buffer.from('{"password":"hunter2-secret", oops'),
    );
    for (let i = 0; i < 13; i++) await goodBatch(); // 20 in all
    await waitFor(
      'every message appended',
      () => (ingest.metrics.messages.get() >= sent ? true : undefined),
      60_000,
    );
    await waitFor('every record written', () => (ingest.writer.depth === 0 ? true : undefined), 60_000);
  }, 120_000);

  afterAll(async () => {
    await evil?.endAsync();
    await good?.endAsync();
    await ingest?.close();
    await broker?.close();
  });

  /** series refused in C and D: 70 + one per builtin profile (79 with the 9 profiles the test was written with) */
  const SERIES_REFUSED = (): number => 70 + ProfileRegistry.builtin().ids().length;

  const db = () => (ingest.sink as unknown as { db: import('better-sqlite3').Database }).db;

  it('stores at most seriesPerGateway tag sets for the attacker, each with a registered model or `unknown`', () => {
    const rows = db()
      .prepare("SELECT measurement, device, model FROM series WHERE gateway = 'gw-evil'")
      .all() as { measurement: string; device: string; model: string }[];
    // 50 devices (A), unknown + 8 more profiles on d0 (C), 21 of the 100 measurements (D)
    expect(rows).toHaveLength(80);
    const models = new Set(rows.map((r) => r.model));
    const allowed = new Set([...ProfileRegistry.builtin().ids(), 'unknown']);
    for (const m of models) expect(allowed.has(m), m).toBe(true);
    expect(models.has('unknown')).toBe(true);
    expect(new Set(rows.map((r) => r.device)).size).toBeLessThanOrEqual(50);
    // the good gateway lost nothing
    const goodReadings = db()
      .prepare("SELECT COUNT(*) AS n FROM readings_v WHERE gateway = 'gw-good'")
      .get() as { n: number };
    expect(goodReadings.n).toBe(20);
  });

  it('refuses the excess to the dead letters with the limit named, and counts it on /metrics', async () => {
    const dl = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; reason: string; topic: string; payload?: string });
    const limit = dl.filter((d) => d.kind === 'limit');
    const by = (name: string) => limit.filter((d) => d.reason.includes(`(limits.${name})`)).length;
    // A: 450 devices; B: 200 metas; F: the birth (one dead letter for its 4096 devices)
    expect(by('devicesPerGateway')).toBe(651);
    expect(by('pointsPerDevice')).toBe(1);
    // C and D together try 200 + 100 + the builtin profiles' series beyond what the cap leaves:
    // 70 + one per builtin profile are refused (79 with the 9 profiles this test was written with)
    const seriesRefused = SERIES_REFUSED();
    expect(by('seriesPerGateway')).toBe(seriesRefused);
    expect(limit).toHaveLength(651 + 1 + seriesRefused);
    for (const d of limit) {
      expect(d.topic).toMatch(/^gz\/v1\/north\/gw-evil\//);
      expect(d.payload).toBeDefined();
    }
    const metrics = (await ingest.http.inject({ url: '/metrics' })).body;
    const count = (re: RegExp) => Number(re.exec(metrics)?.[1]);
    expect(count(/ganzhi_ingest_limit_refusals_total\{limit="devicesPerGateway"\} (\d+)/)).toBe(651);
    expect(count(/ganzhi_ingest_limit_refusals_total\{limit="seriesPerGateway"\} (\d+)/)).toBe(
      SERIES_REFUSED(),
    );
    expect(count(/ganzhi_ingest_limit_refusals_total\{limit="pointsPerDevice"\} (\d+)/)).toBe(1);
    expect(count(/ganzhi_ingest_dead_letters_total\{kind="limit"\} (\d+)/)).toBe(652 + SERIES_REFUSED());
    expect(count(/ganzhi_ingest_dead_letters_total\{kind="message"\} (\d+)/)).toBe(2);
    expect(count(/ganzhi_ingest_unknown_model_total (\d+)/)).toBe(200);
    // what the limits remember is bounded: 2 gateways, 50 + 1 devices, 80 + 1 tag sets
    expect(count(/ganzhi_ingest_limit_tracked\{what="devices"\} (\d+)/)).toBe(51);
    expect(count(/ganzhi_ingest_limit_tracked\{what="series"\} (\d+)/)).toBe(81);
  });

  it('keeps the hub device list bounded', async () => {
    const res = await ingest.http.inject({ url: '/api/hub/devices?district=north&gateway=gw-evil' });
    const devices = (res.json() as { devices: { device: string; model: string | null }[] }).devices;
    expect(devices).toHaveLength(50);
    expect(devices.map((d) => d.device).every((d) => /^d\d+$/.test(d))).toBe(true);
    const all = await ingest.http.inject({ url: '/api/hub/devices' });
    expect(Buffer.byteLength(all.body)).toBeLessThan(50_000);
  });

  it('counts the wild seq as a stream reset and keeps at most streamsPerGateway streams (finding 5)', async () => {
    const c = (await ingest.http.inject({ url: '/api/completeness?district=north' })).json() as {
      total: { missing: number; resets: number };
      gateways: { gateway: string; missing: number; resets: number; streams: number; received: number }[];
    };
    const g = c.gateways.find((x) => x.gateway === 'gw-evil')!;
    expect(g.resets).toBe(1);
    expect(g.missing).toBeLessThan(1000); // not 9.0e15
    expect(g.streams).toBeLessThanOrEqual(16);
    expect(c.gateways.find((x) => x.gateway === 'gw-good')).toMatchObject({
      received: 20,
      missing: 0,
      resets: 0,
    });
    const streams = ingest.tracker.state().streams.filter((s) => s.gateway === 'gw-evil');
    expect(streams.length).toBeLessThanOrEqual(17);
  });

  it('logs the refusals as structured, rate-limited lines naming the gateway, without payloads', () => {
    const limitLines = log.lines.filter((l) => l.event === 'limit');
    expect(limitLines.length).toBeGreaterThan(0);
    expect(limitLines.length).toBeLessThanOrEqual(10 + 10); // a burst, plus one per 6 s of the run
    expect(limitLines[0]).toMatchObject({
      level: 40,
      district: 'north',
      gateway: 'gw-evil',
      who: expect.stringMatching(/^north\/gw-evil/),
      why: expect.stringContaining('limits.'),
    });
    const unknown = log.lines.filter((l) => l.event === 'unknown-model');
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.length).toBeLessThanOrEqual(20);
    expect(log.lines.filter((l) => l.event === 'stream-reset')).toHaveLength(1);
    const spoof = log.lines.filter((l) => l.event === 'identity-mismatch');
    expect(spoof).toHaveLength(1);
    expect(spoof[0]).toMatchObject({ who: 'north/gw-evil/d0', what: 'data message refused' });
    expect(log.lines.filter((l) => l.event === 'malformed')).toContainEqual(
      expect.objectContaining({ who: 'north/gw-evil/d0', why: 'payload is not JSON' }),
    );
    for (const l of log.lines) expect(JSON.stringify(l)).not.toMatch(/hunter2|ingest-password|"readings"/);
  });
});
