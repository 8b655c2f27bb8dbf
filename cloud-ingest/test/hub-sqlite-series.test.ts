/**
 * The hub chart backed by the embedded SQLite store: readings written through the
 * contract mapping (toLineProtocol) and the SQLite sink come back from /api/hub/series.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type DataBatch, toLineProtocol } from '@ganzhi/device-profiles';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { createMemoryHubSource } from '../src/hub/memory-source.js';
import { hubPlugin } from '../src/hub/plugin.js';
import { storeSeries } from '../src/hub/store-series.js';
import { createSqliteSink } from '../src/sinks/sqlite-sink.js';

const dir = tempDir('ganzhi-hub-sqlite-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hub series from the SQLite store', () => {
  it('serves what the store holds, bad readings as null, and buckets of good readings', async () => {
    const sink = createSqliteSink({ file: join(dir, 'ganzhi.db') });
    const T0 = Date.UTC(2026, 10, 26, 12);
    const ids = { district: 'dongcheng', gateway: 'gw-01', device: 'meter-1' };
    const source = createMemoryHubSource({ now: () => T0 + 10_000, series: storeSeries(sink.reader) });
    const batch: DataBatch = {
      v: 1,
      ...ids,
      model: 'eastron-sdm630',
      measurement: 'energy_meter',
      stream: 's',
      seq: 0,
      sent: T0,
      readings: [
        { point: 'voltage_l1', value: 230, ts: T0, quality: 'good' },
        { point: 'voltage_l1', value: 232, ts: T0 + 1000, quality: 'good' },
        { point: 'voltage_l1', value: null, ts: T0 + 2000, quality: 'bad', reason: 'timeout' },
        { point: 'voltage_l1', value: 240, ts: T0 + 5000, quality: 'good' },
      ],
    };
    source.onBatch(ids, batch);
    const res = await sink.write(toLineProtocol(batch, ids).lines);
    expect(res.rejected).toEqual([]);
    const app = Fastify();
    await app.register(hubPlugin, { source });
    try {
      const raw = await app.inject(
        `/api/hub/series?district=dongcheng&gateway=gw-01&device=meter-1&point=voltage_l1`,
      );
      expect(raw.statusCode).toBe(200);
      expect(raw.json().samples).toEqual([
        { ts: T0, value: 230 },
        { ts: T0 + 1000, value: 232 },
        { ts: T0 + 2000, value: null },
        { ts: T0 + 5000, value: 240 },
      ]);
      const agg = await app.inject(
        `/api/hub/series?district=dongcheng&gateway=gw-01&device=meter-1&point=voltage_l1&from=${T0}&every=4000`,
      );
      expect(agg.json().samples).toEqual([
        { ts: T0, value: 231 },
        { ts: T0 + 4000, value: 240 },
      ]);
    } finally {
      await app.close();
      await sink.close();
    }
  });
});
