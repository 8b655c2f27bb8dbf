/**
 * Starting the Debian peers (redis-server, influxd 1.6, victoria-metrics, a socat pty pair) on
 * free loopback ports in a given directory, for the vitest suites, the chaos run and the load
 * scripts alike. Each is a spawnLogged child (log file in its dir), ready only once it answers
 * (PING, /ping 204, /health, both pty links), and a wait fails at once if the process exits.
 * The binary path is an argument: whether a missing peer skips or fails is decided by the
 * caller (test-support/peers.ts for tests). Types in peers-start.d.mts.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fatal, freePort, spawnLogged, waitFor } from './procs.mjs';

/** True when a Redis server answers PING on 127.0.0.1:port. */
export function redisPing(port) {
  return new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

/** Polls an HTTP URL until `ok(status)`; fails at once when `proc` has exited. */
function waitHttp(what, proc, url, ok, o) {
  return waitFor(
    what,
    async () => {
      if (!proc.running()) throw fatal(`${proc.name} exited: ${proc.log().slice(-500)}`);
      const r = await fetch(url, { signal: AbortSignal.timeout(o.probeTimeoutMs ?? 2000) });
      return ok(r.status) ? true : undefined;
    },
    o.timeoutMs,
    o.everyMs,
  );
}

/** redis-server, nothing saved to disk (no RDB, no AOF), data dir = `dir`. */
export async function startRedis(bin, dir, o = {}) {
  mkdirSync(dir, { recursive: true });
  const port = o.port ?? (await freePort());
  const proc = spawnLogged(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      // durable: every write in the append-only file before Redis answers (survives a restart)
      ...(o.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    { dir: o.logDir ?? dir, name: o.name ?? 'redis', cwd: o.cwd, group: o.group, graceMs: o.graceMs },
  );
  await waitFor(
    'redis PING',
    async () => {
      if (!proc.running()) throw fatal(`redis-server exited: ${proc.log().slice(-500)}`);
      return (await redisPing(port)) ? true : undefined;
    },
    o.timeoutMs,
    o.everyMs,
  );
  return { proc, port, url: `redis://127.0.0.1:${port}`, stop: (graceMs) => proc.stop(graceMs) };
}

/** influxdb.conf for 1.6: loopback HTTP + RPC, everything under `dir`, no reporting/monitor/logs. */
export function influxdConfig(dir, port, rpc) {
  return [
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
  ].join('\n');
}

/**
 * A restartable server: start() spawns and waits until ready; stop() (SIGTERM, or SIGKILL with
 * `hard`) keeps the data dir so start() brings it back on the same port; close() = stop() and
 * remove the dir.
 */
function restartable(dir, spawnOne, ready, graceMs) {
  let proc;
  const s = {
    get proc() {
      return proc;
    },
    get running() {
      return proc?.running() ?? false;
    },
    async start() {
      proc = spawnOne();
      await ready(proc);
    },
    async stop(hard = false) {
      if (!proc) return;
      if (hard) await proc.kill9();
      else await proc.stop(graceMs);
      proc = undefined;
    },
    async close() {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => proc?.log() ?? '',
  };
  return s;
}

/** `influxd run -config DIR/influxdb.conf`, ready when GET /ping answers 204. */
export async function startInfluxd(bin, dir, o = {}) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const rpc = await freePort();
  const config = join(dir, 'influxdb.conf');
  writeFileSync(config, influxdConfig(dir, port, rpc));
  const url = `http://127.0.0.1:${port}`;
  let starts = 0;
  const s = restartable(
    dir,
    () =>
      spawnLogged(bin, ['run', '-config', config], {
        dir,
        name: o.logPerStart ? `influxd-${starts++}` : 'influxd',
      }),
    (p) => waitHttp('influxd /ping', p, `${url}/ping`, (st) => st === 204, o),
    o.graceMs ?? 5000,
  );
  /** POST /query (InfluxQL): the parsed JSON body, errors inside it not checked. */
  const query = async (q, db) => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const r = await fetch(`${url}/query`, {
      method: 'POST',
      body: params,
      signal: AbortSignal.timeout(o.queryTimeoutMs ?? 60_000),
    });
    return r.json();
  };
  await s.start();
  return Object.assign(s, { url, port, dir, query });
}

/** victoria-metrics with its data in DIR/data, ready when GET /health answers 2xx. */
export async function startVictoria(bin, dir, o = {}) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `-storageDataPath=${join(dir, 'data')}`,
    `-httpListenAddr=127.0.0.1:${port}`,
    '-search.latencyOffset=0s',
    // samples of one series with the same timestamp are one sample (idempotent redelivery)
    '-dedup.minScrapeInterval=1ms',
    '-loggerLevel=ERROR',
  ];
  const s = restartable(
    dir,
    () => spawnLogged(bin, args, { dir, name: 'victoria-metrics' }),
    (p) => waitHttp('victoria-metrics /health', p, `${url}/health`, (st) => st >= 200 && st < 300, o),
    o.graceMs ?? 5000,
  );
  await s.start();
  return Object.assign(s, { url, port, dir });
}

/**
 * A socat pseudo-terminal pair: `a` and `b` are symlinks to the two ends (what is written to
 * one is read on the other). Ready when both links exist.
 */
export async function startPtyPair(bin, dir, o = {}) {
  const a = join(dir, o.a ?? 'ttyA');
  const b = join(dir, o.b ?? 'ttyB');
  const proc = spawnLogged(bin, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    dir,
    name: o.name ?? 'socat',
  });
  await waitFor(
    'socat pty pair',
    () => {
      if (!proc.running()) throw fatal(`socat exited: ${proc.log().slice(-500)}`);
      return existsSync(a) && existsSync(b);
    },
    o.timeoutMs ?? 5000,
    o.everyMs ?? 20,
  );
  return { a, b, proc };
}
