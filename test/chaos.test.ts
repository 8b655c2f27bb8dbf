/**
 * The 2-minute chaos run (`scripts/chaos.mjs --minutes 2`) against the built CLIs: brokers,
 * agents, ingests and InfluxDB killed, paused, cut off and restarted while two gateways poll
 * simulated devices. Asserts what a city would notice: every accepted reading is in both
 * stores exactly once, and the ingest's completeness figures say the same.
 * Runs twice: the broker with its sessions on disk (`--broker disk`, what `npm start` runs) and in
 * Redis (`--broker redis`, the cluster mode). With the memory persistence (`--broker memory`, not
 * run here) a broker restart forgets the ingest's session, which the tool shows as loss.
 * The two modes run side by side (~2.2 min together); needs `npx tsc -b`, Debian socat, influxdb and (for Redis) redis-server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { peer } from '../test-support/peers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const socat = peer('socat', 'socat');
const influxd = peer('influxd', 'influxdb');
const redis = peer('redis-server', 'redis-server');

interface StoreResult {
  totals: {
    points: number;
    served: number;
    stored: number;
    inflight: number;
    lost: number;
    extra: number;
    bad: number;
  };
  conflicts?: { keys: number };
  deadLetters: number;
  completeness: {
    gateway: string;
    expected: number;
    received: number;
    missing: number;
    duplicates: number;
  }[];
}
interface ChaosResult {
  pass: boolean;
  problems: string[];
  warnings: string[];
  seed: number;
  wallSeconds: number;
  faults: { kind: string; target?: string }[];
  stores: Record<string, StoreResult>;
}

async function runChaos(mode: 'disk' | 'redis'): Promise<void> {
  for (const ws of ['simulators', 'edge-agent', 'broker', 'cloud-ingest']) {
    if (!existsSync(join(root, ws, 'dist/cli.js')))
      throw new Error(`${ws} is not built: run npx tsc -b first`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ganzhi-chaos-test-'));
  const out = join(dir, 'result.json');
  let output = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      process.execPath,
      // A fixed seed in CI (GZ_CHAOS_SEED to vary it; `npm run chaos` draws one): the run once
      // lost one batch in Redis mode with seed 5 and it has not been explained yet — see
      // scripts/chaos/README.md. A random seed here would make CI red at random instead.
      [
        'scripts/chaos.mjs',
        '--minutes',
        '2',
        '--broker',
        mode,
        '--seed',
        process.env.GZ_CHAOS_SEED ?? '42',
        '--json',
        out,
      ],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.on('exit', (c) => resolve(c));
  });
  const result = JSON.parse(readFileSync(out, 'utf8')) as ChaosResult;
  rmSync(dir, { recursive: true, force: true });
  // a hung shutdown is not a broken promise, but it should be seen
  for (const w of result.warnings) console.warn(`chaos run warning: ${w}`);
  expect(result.problems, output).toEqual([]);
  expect(code, output).toBe(0);
  expect(result.pass).toBe(true);

  const kinds = new Set(result.faults.map((f) => f.kind));
  expect([...kinds].sort()).toEqual(
    ['agent-kill', 'broker-kill', 'broker-pause', 'ingest-kill', 'net-cut', 'store-restart'].sort(),
  );
  expect(Object.keys(result.stores).sort()).toEqual(['influxdb', 'sqlite']);
  for (const [name, s] of Object.entries(result.stores)) {
    const t = s.totals;
    // 120 points at 1 Hz for ~2 minutes: thousands of samples, not a handful
    expect(t.served, name).toBeGreaterThan(5000);
    expect(t.lost, name).toBe(0);
    expect(t.extra, name).toBe(0);
    expect(t.stored + t.inflight, name).toBe(t.served);
    // at most one sample per point per agent kill may have died in flight
    expect(t.inflight, name).toBeLessThanOrEqual(2 * t.points);
    expect(s.deadLetters, name).toBe(0);
    if (s.conflicts) expect(s.conflicts.keys, name).toBe(0);
    expect(s.completeness.map((g) => g.gateway).sort(), name).toEqual(['dc-gw-01', 'xc-gw-01']);
    for (const g of s.completeness) {
      expect(g.missing, `${name} ${g.gateway}`).toBe(0);
      expect(g.received, `${name} ${g.gateway}`).toBe(g.expected);
    }
  }
}

// disk: the broker's default production mode (sessions in SQLite under --data-dir, what npm start
// runs); redis: the cluster mode. Each run kills and restarts the broker among the other faults.
// The two runs go side by side: each is its own set of processes, ports and directories, and
// mostly waits (faults, recoveries), so together they take the time of one run (the test phase
// of scripts/test.mjs runs them alone, after everything else).
describe.skipIf(!socat.ok || !influxd.ok)('chaos run, 2 minutes', () => {
  const what = 'loses nothing accepted and stores nothing twice, in SQLite and InfluxDB 1.6';
  it.concurrent(`broker in disk mode: ${what}`, () => runChaos('disk'), 300_000);
  it.skipIf(!redis.ok).concurrent(`broker in redis mode: ${what}`, () => runChaos('redis'), 300_000);
});
