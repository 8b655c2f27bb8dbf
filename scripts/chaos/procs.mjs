/**
 * Process and network helpers for the chaos run (plain ESM twin of test-support/process.ts):
 * free loopback ports, temp dirs, condition waits, child processes logging to files and
 * stopped by PID (SIGTERM, SIGKILL, SIGSTOP/SIGCONT).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'ganzhi-chaos-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A free TCP port on 127.0.0.1 (for peers that must be told their port). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An error that ends a waitFor at once (the process it waits for has died). */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}

/** Polls `probe` until it returns something other than undefined/false; throws after timeoutMs. */
export async function waitFor(what, probe, timeoutMs = 60_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (err?.fatal) throw err;
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message ?? last}` : ''}`,
  );
}

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

const live = new Set();

/**
 * Spawns a child with stdout+stderr appended to DIR/NAME.log (never a pipe nobody reads).
 * `stop()` = SIGTERM then SIGKILL after graceMs; `kill9()` = SIGKILL; both resolve on exit.
 */
export function spawnLogged(cmd, args, { dir, name, env, cwd }) {
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd: cwd ?? dir, env: env ?? process.env, stdio: ['ignore', fd, fd] });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(handle);
      resolve({ code, signal, at: Date.now() });
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const handle = {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    running,
    log: () => readFileSync(logFile, 'utf8'),
    async stop(graceMs = 15_000) {
      if (!running()) return exited;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
    async kill9() {
      if (!running()) return exited;
      child.kill('SIGKILL');
      return exited;
    },
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
  };
  live.add(handle);
  return handle;
}

/** Last resort on an error path: SIGKILL every child this process started (by PID). */
export function killAllChildren() {
  for (const h of live) {
    try {
      h.child.kill('SIGCONT');
      h.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Waits until the child's log contains `pattern`; fails early if the child exits. */
export function waitForLog(proc, pattern, what, timeoutMs = 60_000) {
  return waitFor(
    what,
    () => {
      if (!proc.running()) throw fatal(`${proc.name} exited: ${proc.log().slice(-800)}`);
      const m = proc.log().match(pattern);
      return m ?? undefined;
    },
    timeoutMs,
  );
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
