// Process helpers for the load scripts: free ports, temp dirs, the broker / ingest CLIs and
// redis-server as child processes (each in its own process group, stopped by PID), and CPU /
// RSS sampling from /proc. Loopback only.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `ganzhi-load-${prefix}-`));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(what, fn, timeoutMs = 20_000) {
  const t0 = Date.now();
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function tcpOpen(port) {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

/** Spawns `cmd args` in its own process group, output to `logFile`. */
function spawnLogged(cmd, args, logFile, env = {}) {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    detached: true,
    env: { ...process.env, ...env },
  });
  const exited = new Promise((r) => child.once('exit', (code, sig) => r({ code, sig })));
  return {
    pid: child.pid,
    child,
    exited,
    logFile,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        return;
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, timeoutMs);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function startRedis(dir) {
  const port = await freePort();
  const p = spawnLogged(
    '/usr/bin/redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    join(dir, 'redis.log'),
  );
  await waitFor('redis', () => tcpOpen(port));
  return { ...p, url: `redis://127.0.0.1:${port}/0`, port };
}

/** The broker CLI (`broker/dist/cli.js`) with a JSON config: anonymous, limits raised for load. */
export async function startBrokerCli(dir, name, { redis, limits = {}, preload } = {}) {
  const port = await freePort();
  const httpPort = await freePort();
  const cfg = {
    id: name,
    listeners: { tcp: { port } },
    http: { port: httpPort },
    allowAnonymous: true,
    logLevel: 'warn',
    limits: {
      maxConnections: 30_000,
      connectsPerSecondPerIp: 100_000,
      connectBurstPerIp: 100_000,
      ...limits,
    },
    ...(redis ? { redis } : {}),
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  const p = spawnLogged(
    process.execPath,
    [...(preload ? ['--require', preload] : []), join(ROOT, 'broker/dist/cli.js'), '--config', file],
    join(dir, `${name}.log`),
  );
  await waitFor(`broker ${name}`, async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok);
  return { ...p, name, port, httpPort, url: `mqtt://127.0.0.1:${port}` };
}

/** The ingest CLI (`cloud-ingest/dist/cli.js`) with SQLite (or null) store. */
export async function startIngestCli(dir, name, { brokerUrl, store = 'sqlite', partition, batch } = {}) {
  const httpPort = await freePort();
  const wdir = join(dir, name);
  const dbFile = join(wdir, 'ingest.db');
  const cfg = {
    mqtt: { url: brokerUrl, clientId: `load-${name}` },
    store: store === 'sqlite' ? { type: 'sqlite', file: dbFile } : { type: 'null' },
    batch: batch ?? { lines: 5000, flushMs: 200, maxInFlight: 2 },
    log: { dir: join(wdir, 'log'), fsyncIntervalMs: 1000 },
    deadLetterFile: join(wdir, 'dead-letters.jsonl'),
    completeness: { file: join(wdir, 'completeness.json'), writeEveryMs: 0 },
    http: { port: httpPort },
    logLevel: 'warn',
    ...(partition ? { partition } : {}),
  };
  const { mkdirSync } = await import('node:fs');
  mkdirSync(wdir, { recursive: true });
  const file = join(wdir, 'ingest.json');
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  // same V8 flag as bin/ganzhi-ingest.js
  const p = spawnLogged(
    process.execPath,
    ['--max-semi-space-size=32', join(ROOT, 'cloud-ingest/dist/cli.js'), '--config', file],
    join(dir, `${name}.log`),
  );
  await waitFor(
    `ingest ${name}`,
    async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).ok,
    30_000,
  );
  return { ...p, name, httpPort, dbFile: store === 'sqlite' ? dbFile : undefined };
}

/** Reads one Prometheus sample (sum over label sets) from a /metrics URL. */
export async function metric(url, name) {
  const text = await (await fetch(url)).text();
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      found = true;
    }
  }
  return found ? sum : undefined;
}

const CLK = 100; // USER_HZ on Linux

/** CPU seconds (user+sys) and RSS (MiB) of one PID from /proc. */
export function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / CLK;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return { cpu, rssMiB: m ? Number(m[1]) / 1024 : 0, at: performance.now() };
  } catch {
    return undefined;
  }
}

/** Tracks CPU over a window and the peak RSS seen by `tick()`. */
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

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const fmt = (n, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    : '—';

export function loadAvg() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
