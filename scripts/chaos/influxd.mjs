/**
 * Debian InfluxDB 1.6 for the chaos run (plain ESM twin of test-support/influxdb.ts):
 * `influxd run -config FILE` on free loopback ports in a temp dir, ready when /ping answers
 * 204; stop() keeps the data dir and start() brings it back on the same ports (store outage).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fatal, freePort, spawnLogged, waitFor } from './procs.mjs';

export function influxdPath() {
  try {
    return execFileSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function startInfluxd(baseDir) {
  const bin = influxdPath();
  if (!bin)
    throw new Error('influxd not found: install the Debian package influxdb (apt-get install -y influxdb)');
  const dir = join(baseDir, 'influxd');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const rpc = await freePort();
  const config = join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    [
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
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let proc;
  let starts = 0;
  const start = async () => {
    proc = spawnLogged(bin, ['run', '-config', config], { dir, name: `influxd-${starts++}` });
    const p = proc;
    await waitFor(
      'influxd /ping',
      async () => {
        if (!p.running()) throw fatal(`influxd exited: ${p.log().slice(-500)}`);
        const r = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
        return r.status === 204 ? true : undefined;
      },
      90_000,
    );
  };
  const query = async (q, db) => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const r = await fetch(`${url}/query`, {
      method: 'POST',
      body: params,
      signal: AbortSignal.timeout(60_000),
    });
    const body = await r.json();
    const err = body.error ?? body.results?.find((x) => x.error)?.error;
    if (err) throw new Error(`influxd query "${q}": ${err}`);
    return body;
  };
  await start();
  return {
    url,
    port,
    query,
    start,
    /** SIGTERM (graceful) or SIGKILL (`hard`); the data dir stays. */
    async stop(hard = false) {
      if (!proc) return;
      if (hard) await proc.kill9();
      else await proc.stop(20_000);
      proc = undefined;
    },
    get running() {
      return proc?.running() ?? false;
    },
  };
}
