/**
 * Debian VictoriaMetrics as a test peer: accepts the InfluxDB v2 write API the
 * `@influxdata/influxdb-client` uses (org and bucket ignored; field → metric
 * `{measurement}_{field}`; strings stored as 0). New series are only visible after
 * `GET /internal/force_flush`, so `exportSeries` flushes first.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { peer } from './peers.js';
import { freePort, type Spawned, spawnLogged, tempDir, waitFor } from './process.js';

export const victoriaPeer = () => peer('victoria-metrics', 'victoria-metrics');

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface VictoriaPeer {
  url: string;
  port: number;
  dir: string;
  /** force_flush, then /api/v1/export for the selector; one entry per series. */
  exportSeries(match: string): Promise<ExportedSeries[]>;
  /**
   * Polls exportSeries until it returns at least `atLeast` samples and two reads agree
   * (new series show up about a second after force_flush), or the deadline passes.
   */
  exportSettled(match: string, atLeast?: number, timeoutMs?: number): Promise<ExportedSeries[]>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
  log(): string;
}

export async function startVictoria(): Promise<VictoriaPeer> {
  const p = victoriaPeer();
  if (!p.ok) throw new Error(p.why);
  const dir = tempDir('ganzhi-vm-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: Spawned | undefined;
  const start = async (): Promise<void> => {
    proc = spawnLogged(
      p.path,
      [
        `-storageDataPath=${join(dir, 'data')}`,
        `-httpListenAddr=127.0.0.1:${port}`,
        '-search.latencyOffset=0s',
        // samples of one series with the same timestamp are one sample (idempotent redelivery)
        '-dedup.minScrapeInterval=1ms',
        '-loggerLevel=ERROR',
      ],
      { dir, name: 'victoria-metrics' },
    );
    const child = proc;
    await waitFor('victoria-metrics /health', async () => {
      if (child.child.exitCode !== null)
        throw new Error(`victoria-metrics exited: ${child.log().slice(-500)}`);
      const r = await fetch(`${url}/health`);
      return r.ok ? true : undefined;
    });
  };
  const stop = async (): Promise<void> => {
    await proc?.stop(5000);
    proc = undefined;
  };
  const exportSeries = async (match: string): Promise<ExportedSeries[]> => {
    await fetch(`${url}/internal/force_flush`);
    const r = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': match })}`);
    const text = await r.text();
    if (!r.ok) throw new Error(`export ${r.status}: ${text}`);
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ExportedSeries);
  };
  const samples = (s: ExportedSeries[]) => s.reduce((n, x) => n + x.timestamps.length, 0);
  await start();
  return {
    url,
    port,
    dir,
    exportSeries,
    async exportSettled(match, atLeast = 1, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last = -1;
      for (;;) {
        const got = await exportSeries(match);
        const n = samples(got);
        if ((n >= atLeast && n === last) || Date.now() > deadline) return got;
        last = n;
        await new Promise((r) => setTimeout(r, n >= atLeast ? 300 : 200));
      }
    },
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => proc?.log() ?? '',
  };
}
