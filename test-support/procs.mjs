/**
 * Process helpers shared by the vitest suites (via test-support/process.ts), the chaos run
 * (scripts/chaos) and the load scripts (load/lib): temp dirs, free loopback ports, condition
 * waits, child processes whose stdout+stderr go to a log file (never a pipe nobody reads) and
 * are stopped by PID, and CPU / RSS readings from /proc. Plain ESM so the .mjs tools can import
 * it without a build; types in procs.d.mts. Defaults are the vitest ones: each tool passes its own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'ganzhi-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A free TCP port on 127.0.0.1 (for peers that cannot listen on port 0 and report it). */
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

/**
 * Polls `probe` until it returns something other than undefined/false and returns that; an
 * error thrown by the probe counts as "not yet" (its message ends the timeout error) unless it
 * is `fatal()`, which ends the wait at once.
 */
export async function waitFor(what, probe, timeoutMs = 15_000, everyMs = 50) {
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

const live = new Set();

/**
 * Spawns `cmd args` with stdout+stderr appended to `logFile` (default DIR/NAME.log, NAME the
 * command's basename). `group: true` starts it in its own process group, and the SIGKILL after
 * the grace period then goes to the whole group. `stop()` = SIGCONT + SIGTERM, SIGKILL after
 * graceMs; `kill9()` = SIGKILL; both resolve with the exit once the process has exited.
 */
export function spawnLogged(cmd, args, opts) {
  const name = opts.name ?? cmd.split('/').pop();
  const logFile = opts.logFile ?? join(opts.dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    cwd: opts.cwd ?? opts.dir,
    env: opts.env ?? process.env,
    stdio: ['ignore', fd, fd],
    detached: opts.group === true,
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const exited = new Promise((resolve) => {
    const done = () => {
      live.delete(handle);
      resolve({ code: child.exitCode, signal: child.signalCode, at: Date.now() });
    };
    if (!running()) done();
    else child.once('exit', done);
  });
  const kill = (signal, group = false) => {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      /* already gone */
    }
  };
  const handle = {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    running,
    log: () => readFileSync(logFile, 'utf8'),
    async stop(graceMs = opts.graceMs ?? 5000) {
      if (!running()) return exited;
      kill('SIGCONT');
      kill('SIGTERM');
      const t = setTimeout(() => kill('SIGKILL', opts.group === true), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
    async kill9() {
      if (!running()) return exited;
      kill('SIGKILL');
      return exited;
    },
    pause: () => kill('SIGSTOP'),
    resume: () => kill('SIGCONT'),
  };
  live.add(handle);
  return handle;
}

/** Last resort on an error path: SIGKILL every child spawnLogged started and that still runs (by PID). */
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

/** Waits until the child's log matches `pattern` and returns the match; fails early if the child exits. */
export function waitForLog(proc, pattern, what, timeoutMs = 60_000, everyMs = 100) {
  return waitFor(
    what,
    () => {
      if (!proc.running()) throw fatal(`${proc.name} exited: ${proc.log().slice(-800)}`);
      return proc.log().match(pattern) ?? undefined;
    },
    timeoutMs,
    everyMs,
  );
}

const CLK = 100; // USER_HZ on Linux

/** CPU seconds (user+system) of a process from /proc/PID/stat; throws when it is gone. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK;
}

/** Resident set size (MiB) from /proc/PID/status; NaN without a VmRSS line, throws when it is gone. */
export function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** CPU seconds and RSS (MiB, 0 if unknown) of one PID, or undefined when it is gone. */
export function procSample(pid) {
  try {
    const cpu = cpuSeconds(pid);
    const rss = rssMiB(pid);
    return { cpu, rssMiB: Number.isNaN(rss) ? 0 : rss, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** Tracks CPU over a window (start() … tick() … result()) and the peak RSS seen by tick(). */
export function procMeter(pid) {
  let first;
  let last;
  let peakRss = 0;
  return {
    start() {
      first = procSample(pid);
      peakRss = first?.rssMiB ?? 0;
    },
    tick() {
      const s = procSample(pid);
      if (s) {
        last = s;
        peakRss = Math.max(peakRss, s.rssMiB);
      }
    },
    result() {
      if (!first || !last) return { cpuPct: Number.NaN, rssMiB: Number.NaN, peakRssMiB: Number.NaN };
      return {
        cpuPct: ((last.cpu - first.cpu) / ((last.at - first.at) / 1000)) * 100,
        rssMiB: last.rssMiB,
        peakRssMiB: peakRss,
      };
    },
  };
}
