/**
 * Debian InfluxDB 1.6 for the chaos run (start-up shared with the tests: test-support/peers-start.mjs):
 * `influxd run -config FILE` on free loopback ports in a temp dir, ready when /ping answers
 * 204; stop() keeps the data dir and start() brings it back on the same ports (store outage).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startInfluxd as startInfluxdServer } from '../../test-support/peers-start.mjs';

export function influxdPath() {
  try {
    return execFileSync('sh', ['-c', 'command -v influxd'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The shared influxd start-up with the chaos timings (90 s to answer /ping, 20 s stop grace, one
 * log file per start); query() throws on an error in the response.
 */
export async function startInfluxd(baseDir) {
  const bin = influxdPath();
  if (!bin)
    throw new Error('influxd not found: install the Debian package influxdb (apt-get install -y influxdb)');
  const s = await startInfluxdServer(bin, join(baseDir, 'influxd'), {
    timeoutMs: 90_000,
    everyMs: 100,
    probeTimeoutMs: 2000,
    queryTimeoutMs: 60_000,
    graceMs: 20_000,
    logPerStart: true,
  });
  return {
    url: s.url,
    port: s.port,
    async query(q, db) {
      const body = await s.query(q, db);
      const err = body.error ?? body.results?.find((x) => x.error)?.error;
      if (err) throw new Error(`influxd query "${q}": ${err}`);
      return body;
    },
    start: () => s.start(),
    /** SIGTERM (graceful) or SIGKILL (`hard`); the data dir stays. */
    stop: (hard = false) => s.stop(hard),
    get running() {
      return s.running;
    },
  };
}
