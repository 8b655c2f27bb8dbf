/**
 * The InfluxQL examples in the documentation, run against a real InfluxDB 1.6 (Debian influxd)
 * holding data written the way the ingest writes it (the contract's line-protocol mapper, the
 * completeness lines): each must run without error and print what it promises — per device (or
 * gateway), and no empty rows (a GROUP BY time() without fill(none) prints one null row per empty
 * window: ~60 per device for an hour of 1-minute windows).
 *
 * The queries are taken from the files themselves (README.md, docs/contract-v1.md,
 * cloud-ingest/README.md), so an example changed there is checked as it now reads.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DataBatch, toLineProtocol } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxdPeer, influxdPeer, startInfluxd } from '../../test-support/influxdb.js';
import { completenessLines } from '../src/completeness/points.js';

const root = resolve(import.meta.dirname, '../..');
const influx = influxdPeer();

/** The ```sql block(s) right after a line containing `marker`, split into statements. */
function influxqlAfter(file: string, marker: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${file}: no "${marker}"`);
  const m = /```sql\n([\s\S]*?)```/.exec(text.slice(at));
  if (!m) throw new Error(`${file}: no sql block after "${marker}"`);
  return m[1]!
    .split(/\n(?=SELECT)/)
    .map((q) => q.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

const DOCS: [string, string][] = [
  ['README.md', 'InfluxQL (1.x):'],
  ['docs/contract-v1.md', 'InfluxQL (1.x):'],
  ['cloud-ingest/README.md', 'Example queries (InfluxQL'],
];

describe.skipIf(!influx.ok)('the documentation InfluxQL examples against InfluxDB 1.6', () => {
  let db: InfluxdPeer;
  const now = Date.now();

  beforeAll(async () => {
    db = await startInfluxd();
    await db.createDatabase('ganzhi');
    const lines: string[] = [];
    // 10 minutes of two meters per district, every 10 s, as the ingest writes them
    for (const district of ['dongcheng', 'north']) {
      for (const device of ['em-1', 'em-2']) {
        for (let t = now - 10 * 60_000; t <= now; t += 10_000) {
          const batch: DataBatch = {
            v: 1,
            district,
            gateway: `${district}-gw`,
            device,
            model: 'eastron-sdm630',
            measurement: 'energy_meter',
            stream: 's',
            seq: 0,
            sent: t,
            readings: [
              { point: 'voltage_l1', value: 230 + (t % 7), ts: t, quality: 'good' },
              { point: 'active_power', value: 1000 + (t % 13), ts: t, quality: 'good' },
            ],
          };
          lines.push(...toLineProtocol(batch, batch).lines);
        }
        // an air-quality station whose temperature went bad for a while
        const aq: DataBatch = {
          v: 1,
          district,
          gateway: `${district}-gw`,
          device: `aq-${device}`,
          model: 'air-quality-rs485',
          measurement: 'air_quality',
          stream: 's',
          seq: 0,
          sent: now,
          readings: [
            { point: 'temperature', value: null, ts: now - 60_000, quality: 'bad', reason: 'timeout' },
          ],
        };
        lines.push(...toLineProtocol(aq, aq).lines);
      }
    }
    const fig = (gateway: string, received: number) => ({
      district: 'north',
      gateway,
      received,
      missing: 1,
      duplicates: 0,
      late: 0,
      streams: 1,
      gapsOpened: 1,
      resets: 0,
      lastSeq: received,
      lastSeen: now,
    });
    for (let t = now - 10 * 60_000; t <= now; t += 60_000) {
      lines.push(...completenessLines([fig('gw-a', 100), fig('gw-b', 50)], t));
    }
    const r = await fetch(`${db.url}/write?db=ganzhi&precision=ms`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(r.status).toBe(204);
  }, 60_000);
  afterAll(async () => db?.close());

  for (const [file, marker] of DOCS) {
    it(`${file}: every InfluxQL example runs and prints only rows with values, per series`, async () => {
      const queries = influxqlAfter(file, marker);
      expect(queries.length).toBeGreaterThan(0);
      for (const q of queries) {
        const res = await db.query(q, 'ganzhi');
        const r0 = res.results[0];
        expect(res.error ?? r0?.error, q).toBeUndefined();
        const series = r0?.series ?? [];
        expect(series.length, `${q}: no series`).toBeGreaterThan(0);
        for (const s of series) {
          const valueCols = s.columns.map((c, i) => [c, i] as const).filter(([c]) => c !== 'time');
          const empty = s.values.filter((row) => valueCols.every(([, i]) => row[i] === null));
          expect(empty.length, `${q}: ${empty.length} empty rows in ${JSON.stringify(s.tags)}`).toBe(0);
        }
        // grouped queries print one series per device / gateway
        const by = /GROUP BY .*"(device|gateway)"/.exec(q)?.[1];
        if (by) expect(new Set(series.map((s) => s.tags?.[by])).size, q).toBe(series.length);
      }
    });
  }
});
