// Process helpers for the load scripts: free ports, temp dirs, the broker / ingest CLIs and
// redis-server as child processes (each in its own process group, stopped by PID), and CPU /
// RSS sampling from /proc. Loopback only. The generic parts (ports, waits, logged children,
// /proc sampling, redis-server start-up) are the shared test-support/procs.mjs and
// peers-start.mjs; this file keeps the load settings (cwd = repo root, own process group,
// 15 s stop grace, 20 s waits polled every 100 ms).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis as startRedisServer } from '../../test-support/peers-start.mjs';
import * as shared from '../../test-support/procs.mjs';
import { freePort, procMeter, procSample, sleep } from '../../test-support/procs.mjs';

export { freePort, procMeter, procSample, sleep };

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// A load script that crashes, or is stopped by load/run.mjs' timeout, must not leave brokers,
// ingests or redis-server running behind it (their own process groups do not get our signal).
process.once('exit', () => shared.killAllChildren());
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(sig, () => {
    shared.killAllChildren();
    process.exit(code);
  });
}

export function tempDir(prefix) {
  return shared.tempDir(`ganzhi-load-${prefix}-`);
}

/** Polls `fn` until it returns something truthy; throws after timeoutMs. */
export async function waitFor(what, fn, timeoutMs = 20_000) {
  await shared.waitFor(what, async () => ((await fn()) ? true : undefined), timeoutMs, 100);
}

/** Spawns `cmd args` in its own process group from the repo root, output to `logFile`. */
function spawnLogged(cmd, args, logFile) {
  return shared.spawnLogged(cmd, args, {
    dir: dirname(logFile),
    logFile,
    cwd: ROOT,
    group: true,
    graceMs: 15_000,
  });
}

export async function startRedis(dir) {
  const r = await startRedisServer('/usr/bin/redis-server', dir, {
    cwd: ROOT,
    group: true,
    graceMs: 15_000,
    timeoutMs: 20_000,
    everyMs: 100,
  });
  return { ...r.proc, url: `${r.url}/0`, port: r.port };
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
