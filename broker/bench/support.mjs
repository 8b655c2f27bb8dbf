// Shared helpers for the broker benchmarks (not a benchmark itself). Temp dirs, free ports and
// /proc CPU/RSS readings come from test-support/procs.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { freePort, tempDir as tempDirPrefixed } from '../../test-support/procs.mjs';

/** CPU seconds (user+system) and RSS (MiB) of a process from /proc; the port finder: shared. */
export { cpuSeconds, freePort, rssMiB } from '../../test-support/procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const CLI = join(here, '../dist/cli.js');
export const BARE = join(here, 'bare-aedes.mjs');

export function tempDir() {
  return tempDirPrefixed('ganzhi-broker-bench-');
}

export function hasBin(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

/** Spawns a server whose log shows its port; resolves { port, pid, stop }. */
async function spawnServer(cmd, args, dir, portFrom) {
  const log = join(dir, `${cmd.split('/').pop()}-${Date.now()}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', fd, fd] });
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 15_000;
  let port;
  while (!port) {
    if (Date.now() > deadline) throw new Error(`${cmd} did not start: ${readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
    port = await portFrom(readFileSync(log, 'utf8'));
  }
  return {
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/**
 * A baseline build to run side by side with this one: `GZ_BENCH_BASELINE=/path/to/old/dist`
 * (a copy of an earlier `broker/dist`, placed where Node finds the repo's node_modules, e.g.
 * under `node_modules/`). Benches add an "ours (baseline)" row for it.
 */
export const BASELINE_CLI = process.env.GZ_BENCH_BASELINE
  ? join(process.env.GZ_BENCH_BASELINE, 'cli.js')
  : undefined;

export function startOurs(dir, users, extra = [], cli = CLI) {
  return spawnServer(
    process.execPath,
    [cli, '--port', '0', '--users', users, '--log-level', 'warn', ...extra],
    dir,
    (log) => Number(/mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1]) || undefined,
  );
}

export function startBare(dir, extra = []) {
  return spawnServer(
    process.execPath,
    [BARE, ...extra],
    dir,
    (log) => Number(/^port (\d+)/m.exec(log)?.[1]) || undefined,
  );
}

/**
 * Mosquitto on a free port. `persistence: true` turns on its persistence file (written at the
 * autosave interval and at shutdown, not per message — Mosquitto's own trade-off).
 */
export async function startMosquitto(dir, { persistence = false } = {}) {
  const port = await freePort();
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      ...(persistence
        ? ['persistence true', `persistence_location ${dir}/`, `persistence_file mosquitto-${port}.db`]
        : ['persistence false']),
      'max_queued_messages 200000',
      'max_inflight_messages 0',
      'log_dest none',
    ].join('\n') + '\n',
  );
  return spawnServer('mosquitto', ['-c', conf], dir, async () => {
    const ok = await new Promise((resolve) => {
      const s = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 });
      s.once('connect', () => {
        s.end(true);
        resolve(true);
      });
      s.once('error', () => {
        s.end(true);
        resolve(false);
      });
    });
    return ok ? port : undefined;
  });
}

export function connect(port, opts = {}) {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      reconnectPeriod: 0,
      connectTimeout: 20_000,
      ...opts,
    });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => {
      c.end(true);
      reject(e);
    });
  });
}

export const fmt = (n, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    : '—';
