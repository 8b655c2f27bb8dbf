import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVictoria, type VictoriaPeer, victoriaPeer } from '../../test-support/victoria.js';
import { createInfluxV2Sink } from '../src/sinks/influx-v2-sink.js';
import { type StoredPoint, sinkContract } from './sink-contract.js';

const p = victoriaPeer();

/** VictoriaMetrics' view of a measurement: metric `{m}_{field}`, strings stored as 0. */
export async function victoriaReadBack(vm: VictoriaPeer, m: string): Promise<StoredPoint[]> {
  const series = await vm.exportSettled(`{__name__=~"${m}_.+"}`);
  const out: StoredPoint[] = [];
  for (const s of series) {
    const { __name__: name, db: _db, ...labels } = s.metric;
    const tags = Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    s.timestamps.forEach((ts, i) => {
      out.push({
        series: `${m},${tags}`,
        field: (name as string).slice(m.length + 1),
        ts,
        value: s.values[i] as number,
      });
    });
  }
  return out;
}

describe.skipIf(!p.ok)('VictoriaMetrics (v2 write API via @influxdata/influxdb-client)', () => {
  let vm: VictoriaPeer;
  beforeAll(async () => {
    vm = await startVictoria();
  });
  afterAll(async () => {
    await vm?.close();
  });

  sinkContract('influxdb-v2 → victoria-metrics', async () => {
    const sink = createInfluxV2Sink({
      url: vm.url,
      org: 'ganzhi',
      bucket: 'telemetry',
      token: 'secret-token',
      gzipThreshold: 1000,
      retry: { maxAttempts: 2, minDelayMs: 10, jitter: 0.5 },
      timeoutMs: 5000,
    });
    return {
      sink,
      strings: false,
      readBack: (m) => victoriaReadBack(vm, m),
      outage: { down: () => vm.stop(), up: () => vm.start() },
      close: () => sink.close(),
    };
  });

  it('never puts the token in an error message', async () => {
    const sink = createInfluxV2Sink({
      url: 'http://127.0.0.1:1',
      org: 'o',
      bucket: 'b',
      token: 'very-secret-token',
      retry: { maxAttempts: 1 },
    });
    const err = await sink.write(['m x=1 1']).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'GZ_SINK_UNAVAILABLE' });
    expect(JSON.stringify({ m: (err as Error).message, s: (err as Error).stack })).not.toContain(
      'very-secret',
    );
  });
});
