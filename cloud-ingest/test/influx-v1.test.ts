import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxdPeer, influxdPeer, startInfluxd } from '../../test-support/influxdb.js';
import { createInfluxV1Sink } from '../src/sinks/influx-v1-sink.js';
import { type StoredPoint, sinkContract } from './sink-contract.js';

const p = influxdPeer();

/** Everything InfluxDB holds for a measurement, one entry per non-null field value. */
export async function influxReadBack(influx: InfluxdPeer, db: string, m: string): Promise<StoredPoint[]> {
  const r = await influx.query(`SELECT * FROM "${m}" GROUP BY *`, db);
  const out: StoredPoint[] = [];
  for (const s of r.results[0]?.series ?? []) {
    const tags = Object.entries(s.tags ?? {})
      .filter(([, v]) => v !== '')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    for (const row of s.values) {
      s.columns.forEach((c, i) => {
        const v = row[i];
        if (c === 'time' || v === null || v === undefined) return;
        out.push({
          series: `${s.name},${tags}`,
          field: c,
          ts: row[0] as number,
          value: typeof v === 'boolean' ? (v ? 1 : 0) : (v as number | string),
        });
      });
    }
  }
  return out;
}

describe.skipIf(!p.ok)('InfluxDB 1.6 (v1 /write)', () => {
  let influx: InfluxdPeer;
  let dbs = 0;
  beforeAll(async () => {
    influx = await startInfluxd();
  });
  afterAll(async () => {
    await influx?.close();
  });

  sinkContract('influxdb-v1', async () => {
    const db = `t${++dbs}`;
    await influx.createDatabase(db);
    const sink = createInfluxV1Sink({
      url: influx.url,
      database: db,
      retry: { maxAttempts: 2, minDelayMs: 10, jitter: 0.5 },
      timeoutMs: 5000,
    });
    return {
      sink,
      readBack: (m) => influxReadBack(influx, db, m),
      outage: { down: () => influx.stop(), up: () => influx.start() },
      close: () => sink.close(),
    };
  });

  it('isolates a field-type conflict the store refuses (no line named) by bisection', async () => {
    await influx.createDatabase('conflict');
    const sink = createInfluxV1Sink({ url: influx.url, database: 'conflict', retry: { maxAttempts: 1 } });
    await sink.write(['m,device=a x=1 1000']);
    const lines = Array.from({ length: 16 }, (_, i) => `m,device=a x=${i} ${2000 + i}`);
    lines[11] = 'm,device=a x="text" 2011';
    const r = await sink.write(lines);
    expect(r.rejected.map((x) => x.index)).toEqual([11]);
    expect(r.rejected[0]?.reason).toMatch(/field type conflict/);
    const back = await influxReadBack(influx, 'conflict', 'm');
    expect(back).toHaveLength(16);
    await sink.close();
  });

  it('without pre-validation, rejects exactly the lines InfluxDB names in its 400 body', async () => {
    await influx.createDatabase('named');
    const sink = createInfluxV1Sink({
      url: influx.url,
      database: 'named',
      validate: false,
      retry: { maxAttempts: 1 },
    });
    const lines = Array.from({ length: 20 }, (_, i) => `m,device=a x=${i} ${1000 + i}`);
    lines[3] = 'm,device=a x= 1003';
    lines[17] = 'm,device=a x=1,y 1017';
    const r = await sink.write(lines);
    expect(r.rejected.map((x) => x.index)).toEqual([3, 17]);
    expect(r.rejected[0]?.reason).toMatch(/^unable to parse: /);
    expect(await influxReadBack(influx, 'named', 'm')).toHaveLength(18);
    await sink.close();
  });

  it('names a missing database as refused (retriable: an operator must create it)', async () => {
    const sink = createInfluxV1Sink({ url: influx.url, database: 'nope', retry: { maxAttempts: 1 } });
    await expect(sink.write(['m x=1 1'])).rejects.toMatchObject({ code: 'GZ_SINK_REFUSED', retriable: true });
    await expect(sink.check()).rejects.toMatchObject({ code: 'GZ_SINK_REFUSED' });
    await sink.close();
  });
});
