/**
 * The hub page's API fed by the real pipeline: broker → ingest (log → writer) → hub
 * bookkeeping, with the chart answered from the SQLite store (written by the worker thread, read through
 * the ingest's read-only connection).
 */
import { join } from 'node:path';
import { encodeDeviceMeta, encodeDeviceStatus, encodeGatewayState } from '@ganzhi/device-profiles';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { type Ingest, startIngest } from '../src/ingest.js';
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

describe('broker → ingest → hub page API', () => {
  let broker: TestBroker;
  let pub: MqttClient;
  let ingest: Ingest;
  const gw: Gw = { district: 'north', gateway: 'gw-h', device: 'meter-1', stream: 'sh' };
  const T0 = Date.now() - 60_000;

  beforeAll(async () => {
    broker = await startBroker();
    const dir = tempDir('ganzhi-e2e-hub-');
    ingest = await startIngest(
      testConfig(dir, broker.url, { type: 'sqlite', file: join(dir, 'ingest.db') }),
      { logger: pino({ level: 'silent' }) },
    );
    await waitFor('ingest connected', () => ingest.receiver.connected || undefined);
    pub = await connectPublisher(broker.url);
  });
  afterAll(async () => {
    await pub?.endAsync();
    await ingest?.close();
    await broker?.close();
  });

  it('shows the gateway online, the device state and meta points, completeness and a chartable series', async () => {
    await publishRaw(
      pub,
      'gz/v1/north/gw-h/state',
      encodeGatewayState({ v: 1, state: 'online', ts: T0, stream: 'sh' }),
    );
    await publishRaw(
      pub,
      'gz/v1/north/gw-h/meter-1/status',
      encodeDeviceStatus({ v: 1, state: 'degraded', ts: T0, since: T0, lastError: 'timeout' }),
    );
    const first = batch(gw, 0, T0);
    await publishRaw(
      pub,
      'gz/v1/north/gw-h/meter-1/meta',
      encodeDeviceMeta({
        v: 1,
        profile: first.model,
        profileVersion: '1.0.0',
        model: 'M',
        manufacturer: 'T',
        measurement: first.measurement,
        points: first.readings.map((r) => ({ name: r.point, type: 'float', unit: 'V', access: 'read' })),
      }),
    );
    for (let s = 0; s < 5; s++) await publishBatch(pub, batch(gw, s, T0 + s * 1000));

    const overview = await waitFor('hub sees five batches', async () => {
      const o = (await ingest.http.inject({ url: '/api/hub/overview' })).json() as {
        districts: {
          district: string;
          gateways: {
            gateway: string;
            state: string;
            devices: Record<string, number>;
            completeness: { received: number };
          }[];
        }[];
      };
      const g = o.districts.find((d) => d.district === 'north')?.gateways.find((x) => x.gateway === 'gw-h');
      return g && g.completeness.received === 5 ? g : undefined;
    });
    expect(overview.state).toBe('online');
    expect(overview.devices.degraded).toBe(1);

    const point = first.readings[0]!.point;
    const series = await waitFor('series from the store', async () => {
      const res = await ingest.http.inject({
        url: `/api/hub/series?measurement=${first.measurement}&district=north&gateway=gw-h&device=meter-1&point=${point}&from=${T0 - 1}&to=${T0 + 10_000}`,
      });
      const body = res.json() as { samples?: { ts: number; value: number | null }[] } | { ts: number }[];
      const samples = Array.isArray(body) ? body : (body.samples ?? []);
      return samples.length === 5 ? samples : undefined;
    });
    expect(series.map((s) => s.ts)).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * 1000));
  });
});
