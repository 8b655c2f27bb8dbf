/**
 * Debian VictoriaMetrics as a test peer: accepts the InfluxDB v2 write API the
 * `@influxdata/influxdb-client` uses (org and bucket ignored; field → metric
 * `{measurement}_{field}`; strings stored as 0). New series are only visible after
 * `GET /internal/force_flush`, so `exportSeries` flushes first.
 */
import { peer } from './peers.js';
import { startVictoria as startVictoriaServer } from './peers-start.mjs';
import { sleep, tempDir } from './procs.mjs';

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
  const vm = await startVictoriaServer(p.path, tempDir('ganzhi-vm-'));
  const url = vm.url;
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
  return Object.assign(vm, {
    exportSeries,
    async exportSettled(match: string, atLeast = 1, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last = -1;
      for (;;) {
        const got = await exportSeries(match);
        const n = samples(got);
        if ((n >= atLeast && n === last) || Date.now() > deadline) return got;
        last = n;
        await sleep(n >= atLeast ? 300 : 200);
      }
    },
  });
}
