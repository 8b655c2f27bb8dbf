/** Types for peers-start.mjs (plain ESM shared with scripts/chaos and load/). */
import type { Spawned } from './procs.mjs';

export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
}

export function redisPing(port: number): Promise<boolean>;

export interface StartedRedis {
  proc: Spawned;
  port: number;
  /** redis://127.0.0.1:PORT (no database number). */
  url: string;
  stop(graceMs?: number): Promise<void>;
}
export function startRedis(
  bin: string,
  dir: string,
  o?: WaitOptions & {
    logDir?: string;
    name?: string;
    cwd?: string;
    group?: boolean;
    graceMs?: number;
    /** a fixed port (to restart on the same one); default a free port */
    port?: number;
    /** append-only file, fsync on every write: the data survive a stop and restart */
    durable?: boolean;
  },
): Promise<StartedRedis>;

export function influxdConfig(dir: string, port: number, rpc: number): string;

export interface Restartable {
  readonly proc: Spawned | undefined;
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGTERM (or SIGKILL with `hard`); the data dir stays. */
  stop(hard?: boolean): Promise<void>;
  /** stop() and remove the dir. */
  close(): Promise<void>;
  log(): string;
  url: string;
  port: number;
  dir: string;
}

export interface StartedInfluxd extends Restartable {
  /** POST /query (InfluxQL): the parsed JSON body; errors inside it are not checked. */
  query(q: string, db?: string): Promise<unknown>;
}
export function startInfluxd(
  bin: string,
  dir: string,
  o?: WaitOptions & {
    probeTimeoutMs?: number;
    queryTimeoutMs?: number;
    graceMs?: number;
    logPerStart?: boolean;
  },
): Promise<StartedInfluxd>;

export function startVictoria(
  bin: string,
  dir: string,
  o?: WaitOptions & { probeTimeoutMs?: number; graceMs?: number },
): Promise<Restartable>;

export function startPtyPair(
  bin: string,
  dir: string,
  o?: WaitOptions & { a?: string; b?: string; name?: string },
): Promise<{ a: string; b: string; proc: Spawned }>;
