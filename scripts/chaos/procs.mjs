/**
 * Process and network helpers for the chaos run. Temp dirs, free ports, waits, logged children
 * and SIGKILL-all come from the shared test-support/procs.mjs (also behind the vitest helpers);
 * this file keeps the chaos defaults (60 s waits polled every 100 ms, 15 s stop grace), HTTP GETs
 * with a timeout and the seeded PRNG.
 */
import * as shared from '../../test-support/procs.mjs';

export { fatal, freePort, killAllChildren, sleep } from '../../test-support/procs.mjs';

export const tempDir = (prefix = 'ganzhi-chaos-') => shared.tempDir(prefix);

/** Polls `probe` until it returns something other than undefined/false; throws after timeoutMs. */
export const waitFor = (what, probe, timeoutMs = 60_000, everyMs = 100) =>
  shared.waitFor(what, probe, timeoutMs, everyMs);

/** Waits until the child's log contains `pattern`; fails early if the child exits. */
export const waitForLog = (proc, pattern, what, timeoutMs = 60_000) =>
  shared.waitForLog(proc, pattern, what, timeoutMs, 100);

/**
 * Spawns a child with stdout+stderr appended to DIR/NAME.log (never a pipe nobody reads).
 * `stop()` = SIGTERM then SIGKILL after graceMs (15 s); `kill9()` = SIGKILL; both resolve with
 * {code, signal, at} on exit.
 */
export const spawnLogged = (cmd, args, { dir, name, env, cwd }) =>
  shared.spawnLogged(cmd, args, { dir, name, env, cwd, graceMs: 15_000 });

export async function getJson(url, timeoutMs = 10_000) {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r.json();
}

export async function getText(url, timeoutMs = 10_000) {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r.text();
}

/** Seeded PRNG (mulberry32): the fault schedule is reproducible from the printed seed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
