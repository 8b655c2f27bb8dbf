/**
 * Debian InfluxDB 1.6 as a test peer: `influxd run -config FILE` on free loopback ports in a
 * temp dir, ready when `GET /ping` answers 204, stopped by PID. 1.6 has the v1 `/write` API
 * and InfluxQL but no v2 API. `restart()` stops and starts the same data dir (store outage).
 */
import { peer } from './peers.js';
import { startInfluxd as startInfluxdServer } from './peers-start.mjs';
import { tempDir } from './procs.mjs';

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
  const s = await startInfluxdServer(p.path, tempDir('ganzhi-influxd-'));
  const raw = s.query;
  const query = async (q: string, db?: string) => (await raw(q, db)) as InfluxQueryResult;
  return Object.assign(s, {
    query,
    async createDatabase(db: string) {
      const r = await query(`CREATE DATABASE "${db}"`);
      if (r.error || r.results[0]?.error) throw new Error(r.error ?? r.results[0]?.error);
    },
  });
}

/** One value row of a series as an object by column name, with the series' tags under `tags`. */
export type InfluxRow = { tags: Record<string, string> } & Record<string, unknown>;

/** Every value row of the first statement's series (a `SELECT … GROUP BY *` answer), in order. */
export function seriesRows(r: InfluxQueryResult): InfluxRow[] {
  return (r.results[0]?.series ?? []).flatMap((s) =>
    s.values.map((v) => ({
      tags: s.tags ?? {},
      ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])),
    })),
  );
}
