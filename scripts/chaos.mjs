#!/usr/bin/env node
/**
 * Chaos run: simulators at a known rate → 2 gateways (ganzhi-agent) → broker → ingest →
 * SQLite and InfluxDB 1.6, while brokers, agents, ingests and the store are killed, paused,
 * cut off and restarted at seeded random moments. Afterwards the simulators' ground truth
 * (samples served per point) is compared with each store: exit 0 only if nothing accepted was
 * lost and nothing was stored twice, and the ingest's own completeness figures agree.
 *
 *   node scripts/chaos.mjs [--minutes 10] [--seed N] [--stores sqlite,influxdb] [--json FILE] [--keep]
 *
 * Needs a build (`npx tsc -b`) and Debian socat + influxd (the influxdb package).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { openSegmentLog } from '@ganzhi/durable-log';
import { account, byDevice, totals } from './chaos/accounting.mjs';
import { FAULT_KINDS, planFaults, quietSnapshot, runFault, waitHealthy } from './chaos/faults.mjs';
import { influxdPath, startInfluxd } from './chaos/influxd.mjs';
import {
  freePort,
  getJson,
  getText,
  killAllChildren,
  prng,
  sleep,
  tempDir,
  waitFor,
} from './chaos/procs.mjs';
import { startProxy } from './chaos/proxy.mjs';
import { report, summary, verdict } from './chaos/report.mjs';
import { influxStore, sqliteStore } from './chaos/stores.mjs';
import {
  agentStatus,
  brokerSessions,
  metric,
  POLL_MS,
  startAgent,
  startBroker,
  startIngest,
  startRedis,
  startSerialLine,
  startSimulators,
  writeAgentConfigs,
  writeIngestConfig,
} from './chaos/topology.mjs';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string' },
    stores: { type: 'string', default: 'sqlite,influxdb' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    faults: { type: 'string' },
    broker: { type: 'string', default: 'redis' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: node scripts/chaos.mjs [--minutes 10] [--seed N] [--stores sqlite,influxdb] [--faults KIND,…] [--broker redis|disk|memory] [--json FILE] [--keep]\n' +
      `fault kinds: ${FAULT_KINDS.join(', ')} (default all)`,
  );
  process.exit(0);
}
const minutes = Number(args.minutes);
if (!(minutes > 0)) {
  console.error(`--minutes must be a positive number, got ${args.minutes}`);
  process.exit(2);
}
const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
const storeKinds = args.stores
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of storeKinds) {
  if (s !== 'sqlite' && s !== 'influxdb') {
    console.error(`--stores: unknown store ${s} (sqlite, influxdb)`);
    process.exit(2);
  }
}
const onlyFaults = args.faults?.split(',').map((s) => s.trim());
for (const f of onlyFaults ?? []) {
  if (!FAULT_KINDS.includes(f)) {
    console.error(`--faults: unknown fault ${f} (${FAULT_KINDS.join(', ')})`);
    process.exit(2);
  }
}
if (args.broker !== 'redis' && args.broker !== 'memory' && args.broker !== 'disk') {
  console.error(`--broker must be redis, disk or memory, got ${args.broker}`);
  process.exit(2);
}
const durationMs = Math.round(minutes * 60_000);
const INGEST_STOP_GRACE_MS = 15_000;
const t0 = Date.now();
const clock = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
const say = (msg) => console.log(`[${clock()}] ${msg}`);

const dir = tempDir();
const rnd = prng(seed);
const problems = [];
/** not a broken promise, but something an operator would notice (e.g. a stop that hangs) */
const warnings = [];
const sys = { dir, agents: [], ingests: [], agentKills: [] };
let line;
let sim;
let proxy;

async function setup() {
  say(
    `chaos run: ${minutes} min, seed ${seed} (rerun with --seed ${seed}), stores ${storeKinds.join(' + ')}, dir ${dir}`,
  );
  if (storeKinds.includes('influxdb') && !influxdPath())
    throw new Error('influxd not found: apt-get install -y influxdb');
  line = await startSerialLine(dir);
  sim = await startSimulators(dir, seed % 100000, line.a);
  sys.control = sim.control;
  say(`simulators up: ${sim.devices.length} devices, control ${sim.control}`);
  if (args.broker === 'redis') {
    sys.redis = await startRedis(dir);
    say(`redis-server ${sys.redis.url} (the broker's sessions and queues)`);
  }
  if (args.broker === 'disk') {
    brokerSessions.dataDir = join(dir, 'broker-data');
    say(`broker sessions on disk: ${brokerSessions.dataDir}/broker.db (kept across broker restarts)`);
  }
  const brokerPort = await freePort();
  sys.broker = { port: brokerPort, httpPort: await freePort() };
  sys.broker.proc = await startBroker(dir, brokerPort, sys.broker.httpPort, sys.redis?.url);
  proxy = await startProxy({ host: '127.0.0.1', port: brokerPort });
  sys.proxy = proxy;
  say(
    `broker (${args.broker}) mqtt://127.0.0.1:${brokerPort}; gateways reach it through the cuttable proxy :${proxy.port}`,
  );
  if (storeKinds.includes('influxdb')) {
    sys.influx = await startInfluxd(dir);
    await sys.influx.query('CREATE DATABASE "ganzhi"');
    say(`influxd ${sys.influx.url} (database ganzhi)`);
  }
  for (const kind of storeKinds) {
    const store =
      kind === 'sqlite'
        ? { type: 'sqlite' }
        : { type: 'influxdb-v1', url: sys.influx.url, database: 'ganzhi' };
    sys.ingests.push(await writeIngestConfig(dir, kind, brokerPort, store));
  }
  await Promise.all(
    sys.ingests.map(async (ing) => {
      ing.proc = await startIngest(ing);
      say(`ingest ${ing.name} up, ${ing.url}`);
    }),
  );
  sys.agents = await writeAgentConfigs(dir, sim.devices, line.b, proxy.port);
  await Promise.all(
    sys.agents.map(async (a) => {
      a.proc = await startAgent(a);
      say(`agent ${a.gateway} (${a.district}) up: ${a.devices.join(', ')}`);
    }),
  );
}

async function chaos() {
  const plan = planFaults(rnd, {
    durationMs,
    agents: sys.agents,
    ingests: sys.ingests,
    influx: sys.influx,
    only: onlyFaults,
  });
  const start = Date.now();
  console.log(`\nfault schedule (seed ${seed}):`);
  for (const e of plan)
    console.log(
      `  t+${(e.atMs / 1000).toFixed(1)}s  ${e.kind}${e.target ? ` ${e.target}` : ''}  (${e.downMs} ms)`,
    );
  console.log('');
  const done = [];
  for (const e of plan) {
    const wait = start + e.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    say(`fault: ${e.kind}${e.target ? ` ${e.target}` : ''} for ${e.downMs} ms`);
    const rec = await runFault(sys, e);
    say(`  recovered (${((rec.healthyAt - rec.at) / 1000).toFixed(1)} s from fault to healthy)`);
    done.push({ ...rec, plannedAtMs: e.atMs, actualAtMs: rec.at - start });
  }
  const left = start + durationMs - Date.now();
  if (left > 0) await sleep(left);
  return done;
}

function bufferState(a) {
  const log = openSegmentLog({ dir: a.bufferDir });
  try {
    return { nextOffset: log.nextOffset, firstUnacked: log.firstUnacked, dropped: log.stats().dropped };
  } finally {
    log.close();
  }
}

async function flushOnly(a) {
  // a gateway whose buffer still holds batches: restart it with every device disabled, so it
  // only forwards what it had accepted, then stop it again
  const cfg = readFileSync(a.config, 'utf8').replace(/unitId: (\d+) \}/g, 'unitId: $1, enabled: false }');
  const flush = { ...a, config: join(a.dir, 'agent-flush.yaml') };
  writeFileSync(flush.config, cfg);
  const proc = await startAgent(flush);
  await waitFor(
    `${a.gateway} flush`,
    async () => (await agentStatus(a)).uplink.backlog === 0 || undefined,
    120_000,
    250,
  );
  await proc.stop(30_000);
}

async function finish() {
  say('stopping the gateways (polling stops first; the buffers drain to the broker)');
  await waitHealthy(sys, 'the last fault');
  await Promise.all(
    sys.agents.map((a) =>
      waitFor(
        `${a.gateway} backlog to drain`,
        async () => ((await agentStatus(a)).uplink.backlog <= 2 ? true : undefined),
        120_000,
        250,
      ),
    ),
  );
  for (const a of sys.agents) {
    const x = await a.proc.stop(30_000);
    if (x.code !== 0)
      warnings.push(`agent ${a.gateway} did not stop cleanly on SIGTERM (${x.code ?? x.signal})`);
    a.buffer = bufferState(a);
    if (a.buffer.firstUnacked < a.buffer.nextOffset) {
      say(
        `  ${a.gateway}: ${a.buffer.nextOffset - a.buffer.firstUnacked} batches still buffered after SIGTERM: flushing them`,
      );
      await flushOnly(a);
      a.buffer = bufferState(a);
    }
    if (a.buffer.dropped > 0) problems.push(`agent ${a.gateway} buffer dropped ${a.buffer.dropped} batches`);
    if (a.buffer.firstUnacked < a.buffer.nextOffset)
      problems.push(
        `agent ${a.gateway}: ${a.buffer.nextOffset - a.buffer.firstUnacked} batches never acknowledged`,
      );
  }
  const allDevices = sim.devices.map((d) => d.id);
  const finalServed = await quietSnapshot(sim.control, allDevices);
  say('gateways stopped; waiting for the ingests to write everything');
  const expected = Object.fromEntries(sys.agents.map((a) => [a.gateway, a.buffer.nextOffset]));
  await Promise.all(
    sys.ingests.map(async (i) => {
      try {
        await waitFor(
          `ingest ${i.name} to drain`,
          async () => {
            const c = await getJson(`${i.url}/api/completeness`);
            // received + missing: a batch the broker lost leaves a hole that will never fill
            const seen = Object.fromEntries(c.gateways.map((g) => [g.gateway, g.received + g.missing]));
            if (sys.agents.some((a) => (seen[a.gateway] ?? 0) < expected[a.gateway])) return undefined;
            return metric(await getText(`${i.url}/metrics`), 'ganzhi_ingest_log_records') === 0 || undefined;
          },
          180_000,
          250,
        );
      } catch (err) {
        problems.push(`ingest ${i.name}: ${err.message}`);
      }
      i.completeness = await getJson(`${i.url}/api/completeness`);
      // the log is written out: SIGTERM needs no more than its own 10 s flush bound
      const x = await i.proc.stop(INGEST_STOP_GRACE_MS);
      if (x.code !== 0)
        warnings.push(
          `ingest ${i.name} did not stop within ${INGEST_STOP_GRACE_MS / 1000} s of SIGTERM (${x.code ?? x.signal}); see ${i.proc.logFile}`,
        );
    }),
  );
  return { finalServed, expected };
}

async function compare({ finalServed, expected }) {
  const registry = ProfileRegistry.builtin();
  const measurementOf = (profile) => registry.get(profile)?.measurement ?? profile;
  const results = {};
  for (const i of sys.ingests) {
    const store =
      i.name === 'sqlite' ? sqliteStore(i.dbFile) : influxStore(sys.influx, 'ganzhi', measurementOf);
    const rows = await account({ devices: sim.devices, finalServed, agentKills: sys.agentKills, store });
    const conflicts = await store.conflicts();
    store.close();
    const deadLetters = existsSync(i.deadLetters)
      ? readFileSync(i.deadLetters, 'utf8').split('\n').filter(Boolean).length
      : 0;
    const gw = i.completeness.gateways.map((g) => ({
      gateway: g.gateway,
      expected: expected[g.gateway],
      received: g.received,
      missing: g.missing,
      duplicates: g.duplicates,
      late: g.late,
    }));
    results[i.name] = {
      totals: totals(rows),
      devices: byDevice(rows),
      points: rows,
      conflicts,
      deadLetters,
      completeness: gw,
    };
  }
  return results;
}

async function teardown() {
  for (const a of sys.agents) await a.proc?.stop(10_000);
  for (const i of sys.ingests) await i.proc?.stop(10_000);
  await sys.broker?.proc?.stop(10_000);
  await proxy?.close();
  await sys.influx?.stop();
  await sys.redis?.proc.stop(5000);
  await sim?.proc.stop(10_000);
  await line?.proc.stop(5000);
}

let code = 1;
let result = { seed, minutes, broker: args.broker, pollIntervalMs: POLL_MS, dir };
const onSignal = () => {
  killAllChildren();
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  await setup();
  const faults = await chaos();
  const end = await finish();
  const results = await compare(end);
  report(faults, results);
  summary(results);
  verdict(results, sys.agents, problems);
  result = {
    ...result,
    faults,
    stores: results,
    agentKills: sys.agentKills.length,
    wallSeconds: (Date.now() - t0) / 1000,
  };
  code = problems.length === 0 ? 0 : 1;
} catch (err) {
  problems.push(`run aborted: ${err.stack ?? err}`);
} finally {
  await teardown().catch(() => {});
  // a start-up that failed half way (e.g. an ingest that never became ready) leaves children the
  // teardown does not know about: nothing the run started may outlive it
  killAllChildren();
}
result.problems = problems;
result.warnings = warnings;
result.pass = code === 0;
result.wallSeconds = (Date.now() - t0) / 1000;
if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `\n=== verdict: ${code === 0 ? 'PASS' : 'FAIL'} (seed ${seed}, ${result.wallSeconds.toFixed(0)} s wall) ===`,
);
for (const p of problems) console.log(`  - ${p}`);
for (const w of warnings) console.log(`  warning: ${w}`);
if (code === 0 && warnings.length === 0 && !args.keep) rmSync(dir, { recursive: true, force: true });
else console.log(`logs and data kept in ${dir}`);
process.exit(code);
