/** Types for procs.mjs (plain ESM shared with scripts/chaos and load/). */
import type { ChildProcess } from 'node:child_process';

export function tempDir(prefix?: string): string;
export function freePort(): Promise<number>;
export function sleep(ms: number): Promise<void>;
export function fatal(message: string): Error & { fatal: true };
export function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs?: number,
  everyMs?: number,
): Promise<T>;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the exit was seen. */
  at: number;
}

export interface SpawnOptions {
  /** Where the log goes (DIR/NAME.log) and the working directory unless `cwd` is given. */
  dir: string;
  /** Log name; default the command's basename. */
  name?: string;
  /** Log file path instead of DIR/NAME.log. */
  logFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Own process group; the SIGKILL after the grace period goes to the group. */
  group?: boolean;
  /** Default grace period of stop(); 5000 ms. */
  graceMs?: number;
}

export interface Spawned {
  name: string;
  child: ChildProcess;
  pid: number | undefined;
  logFile: string;
  exited: Promise<Exit>;
  running(): boolean;
  log(): string;
  /**
   * SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. (At run time it
   * resolves with the Exit, as `exited` does; typed void so it fits `() => Promise<void>` cleanups.)
   */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (crash simulation); resolves when the process has exited (Exit at run time). */
  kill9(): Promise<void>;
  pause(): void;
  resume(): void;
}

export function spawnLogged(cmd: string, args: string[], opts: SpawnOptions): Spawned;
export function killAllChildren(): void;
export function waitForLog(
  proc: Spawned,
  pattern: RegExp,
  what: string,
  timeoutMs?: number,
  everyMs?: number,
): Promise<RegExpMatchArray>;

export function cpuSeconds(pid: number): number;
export function rssMiB(pid: number): number;
export interface ProcSample {
  cpu: number;
  rssMiB: number;
  at: number;
}
export function procSample(pid: number): ProcSample | undefined;
export interface ProcMeter {
  start(): void;
  tick(): void;
  result(): { cpuPct: number; rssMiB: number; peakRssMiB: number };
}
export function procMeter(pid: number): ProcMeter;
