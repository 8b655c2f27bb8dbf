/**
 * Debian InfluxDB 1.6 as a test peer: `influxd run -config FILE` on free loopback ports in a
 * temp dir, ready when `GET /ping` answers 204, stopped by PID. 1.6 has the v1 `/write` API
 * and InfluxQL but no v2 API. `restart()` stops and starts the same data dir (store outage).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peer } from './peers.js';
import { freePort, type Spawned, spawnLogged, tempDir, waitFor } from './process.js';

export const influxdPeer = () => peer('influxd', 'influxdb');

export interface InfluxdPeer {
  url: string;
  port: number;
  dir: string;
  /** POST /query (InfluxQL), returns the parsed JSON body. */
  query(q: string, db?: string): Promise<InfluxQueryResult>;
  /** Creates a database (CREATE DATABASE). */
  createDatabase(db: string): Promise<void>;
  /** Stops the server (SIGTERM), keeps the data dir; `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  close(): Promise<void>;
  log(): string;
}

export interface InfluxQueryResult {
  results: {
    statement_id: number;
    series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
    error?: string;
  }[];
  error?: string;
}

export async function startInfluxd(): Promise<InfluxdPeer> {
  const p = influxdPeer();
  if (!p.ok) throw new Error(p.why);
  const dir = tempDir('ganzhi-influxd-');
  const port = await freePort();
  const rpc = await freePort();
  const config = join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    [
      'reporting-enabled = false',
      `bind-address = "127.0.0.1:${rpc}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '  logging-enabled = false',
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[subscriber]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let proc: Spawned | undefined;
  const start = async (): Promise<void> => {
    proc = spawnLogged(p.path, ['run', '-config', config], { dir, name: 'influxd' });
    const child = proc;
    await waitFor('influxd /ping', async () => {
      if (child.child.exitCode !== null) throw new Error(`influxd exited: ${child.log().slice(-500)}`);
      const r = await fetch(`${url}/ping`);
      return r.status === 204 ? true : undefined;
    });
  };
  const stop = async (): Promise<void> => {
    await proc?.stop(5000);
    proc = undefined;
  };
  const query = async (q: string, db?: string): Promise<InfluxQueryResult> => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const r = await fetch(`${url}/query`, { method: 'POST', body: params });
    return (await r.json()) as InfluxQueryResult;
  };
  await start();
  return {
    url,
    port,
    dir,
    query,
    async createDatabase(db) {
      const r = await query(`CREATE DATABASE "${db}"`);
      if (r.error || r.results[0]?.error) throw new Error(r.error ?? r.results[0]?.error);
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
