/**
 * Helpers for the end-to-end tests: an in-process Aedes broker on port 0, a publisher
 * speaking contract v1, and an ingest configuration in a temp dir.
 */
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { type DataBatch, deviceTopic, encodeDataBatch } from '@ganzhi/device-profiles';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { type IngestConfig, parseConfig } from '../src/config.js';

export interface TestBroker {
  url: string;
  port: number;
  broker: Aedes;
  close(): Promise<void>;
}

export async function startBroker(port = 0): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const addr = server.address();
  const p = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `mqtt://127.0.0.1:${p}`,
    port: p,
    broker,
    async close() {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface Gw {
  district: string;
  gateway: string;
  device: string;
  stream: string;
}

/** One batch: `n` readings of points p0..p{n-1} at ts, all good. */
export function batch(gw: Gw, seq: number, ts: number, n = 5): DataBatch {
  return {
    v: 1,
    district: gw.district,
    gateway: gw.gateway,
    device: gw.device,
    model: 'eastron-sdm630',
    measurement: 'energy_meter',
    stream: gw.stream,
    seq,
    sent: ts,
    readings: Array.from({ length: n }, (_, i) => ({
      point: `p${i}`,
      value: seq + i / 10,
      ts,
      quality: 'good' as const,
      unit: 'kW',
    })),
  };
}

export async function connectPublisher(
  url: string,
  clientId = `pub-${process.pid}-${Math.random()}`,
): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId, protocolVersion: 4, reconnectPeriod: 200 });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

export async function publishBatch(c: MqttClient, b: DataBatch): Promise<void> {
  await c.publishAsync(deviceTopic(b.district, b.gateway, b.device, 'data'), encodeDataBatch(b), { qos: 1 });
}

export async function publishRaw(c: MqttClient, topic: string, payload: string | Buffer): Promise<void> {
  await c.publishAsync(topic, payload, { qos: 1 });
}

/** A config for a test worker: everything under `dir`, HTTP on port 0, fast flushes. */
export function testConfig(
  dir: string,
  brokerUrl: string,
  store: unknown,
  extra: Record<string, unknown> = {},
): IngestConfig {
  return parseConfig(
    JSON.stringify({
      mqtt: { url: brokerUrl, clientId: `ingest-${process.pid}-${Math.random().toString(36).slice(2)}` },
      store,
      batch: { lines: 500, flushMs: 50 },
      log: { dir: join(dir, 'log'), fsyncIntervalMs: 0 },
      deadLetterFile: join(dir, 'dead-letters.jsonl'),
      completeness: { file: join(dir, 'completeness.json'), writeEveryMs: 0 },
      http: { port: 0 },
      logLevel: 'warn',
      ...extra,
    }),
    join(dir, 'ingest.json'),
    {},
  );
}
