// Ingest throughput: points/s from the broker into each store (a backlog of QoS 1 messages
// queued for the ingest's persistent session, drained through the whole pipeline: PUBACK
// after the log append, decode, validate, line protocol, store write, log ack) versus
// posting the same line protocol straight to that store with the same batch size and
// concurrency (the ceiling). Also into the null sink, and the PUBACK latency the ingest
// adds (handleMessage → PUBACK written to the socket). Broker in a child process; the ingest in this one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deviceTopic, encodeDataBatch, toLineProtocol } from '@ganzhi/device-profiles';
import mqtt from 'mqtt';
import pino from 'pino';
import * as LIB from '../dist/index.js';

const { createSqliteSink, createSqliteThreadSink } = LIB;
// The ingest runs with its launcher's V8 flags (bin/ganzhi-ingest.js); so does this process.
// BENCH_NODE_FLAGS='' measures without them.
const FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=32').split(' ').filter(Boolean);
// BENCH_PIN=1: the store gets the last core, in the via-ingest run and in the ceiling run
// alike; this process (ingest, posting client) and the broker get the others (taskset).
const PIN = process.env.BENCH_PIN === '1';
const NCPU = cpus().length; // all online cores, not this process's affinity (pinned below)
const STORE_CPU = String(NCPU - 1);
const OTHER_CPUS = NCPU > 2 ? `0-${NCPU - 2}` : '0';
if (FLAGS.some((f) => !process.execArgv.includes(f)) || (PIN && !process.env.GANZHI_BENCH_PINNED)) {
  const args = [...process.execArgv, ...FLAGS, fileURLToPath(import.meta.url)];
  const r = PIN
    ? spawnSync('taskset', ['-c', OTHER_CPUS, process.execPath, ...args], {
        stdio: 'inherit',
        env: { ...process.env, GANZHI_BENCH_PINNED: '1' },
      })
    : spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

// BENCH_BASELINE_DIST=DIR: an older cloud-ingest/dist (copied somewhere whose parent dirs
// reach node_modules) whose null-sink drain runs alternately with this one's, side by side.
const BASE = process.env.BENCH_BASELINE_DIST
  ? await import(pathToFileURL(resolve(process.env.BENCH_BASELINE_DIST, 'index.js')).href)
  : undefined;

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 12_000);
const TIMES = 5; // timestamps per batch
const POINTS = 10; // points per timestamp → 50 readings per message
const GATEWAYS = 20;
const BATCH_LINES = 5000;
const IN_FLIGHT = 2;
const logger = pino({ level: 'silent' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const T0 = Date.now() - 3600_000;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}
async function waitUntil(what, probe, timeoutMs = 20_000, everyMs = 50) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if (await probe()) return;
    } catch {}
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** BENCH_CPU_PROF=DIR: a V8 CPU profile of the ingest side, drain window only, per store. */
async function startProfile() {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return undefined;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(name) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      writeFileSync(join(dir, `ingest-${name}.cpuprofile`), JSON.stringify(profile));
    },
  };
}
/** A store process (on the store's core with BENCH_PIN: taskset execs it, same pid). */
function spawnPeer(cmd, args, dir) {
  const out = join(dir, 'peer.log');
  writeFileSync(out, '');
  return PIN
    ? spawn('taskset', ['-c', STORE_CPU, cmd, ...args], { cwd: dir, stdio: 'ignore' })
    : spawn(cmd, args, { cwd: dir, stdio: 'ignore' });
}
/** With BENCH_PIN, moves threads of this process (SQLite's worker) to the store's core. */
function pinThreads(tids) {
  if (!PIN) return;
  for (const t of tids) spawnSync('taskset', ['-p', '-c', STORE_CPU, String(t)], { stdio: 'ignore' });
}
const stopPeer = (p) =>
  new Promise((r) => {
    if (p.exitCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });

function makeBatch(i) {
  const g = i % GATEWAYS;
  const seq = Math.floor(i / GATEWAYS);
  const readings = [];
  for (let t = 0; t < TIMES; t++) {
    const ts = T0 + seq * TIMES * 1000 + t * 1000;
    for (let p = 0; p < POINTS; p++)
      readings.push({ point: `p${p}`, value: (seq * 7 + p) / 10, ts, quality: 'good', unit: 'kW' });
  }
  return {
    v: 1,
    district: `d${g % 4}`,
    gateway: `gw-${g}`,
    device: 'meter-1',
    model: 'eastron-sdm630', // a registered profile: the ingest tags any other model `unknown`
    measurement: 'bench_meter',
    stream: `s${g}`,
    seq,
    sent: T0,
    readings,
  };
}
const batches = Array.from({ length: MESSAGES }, (_, i) => makeBatch(i));
const payloads = batches.map((b) => ({
  topic: deviceTopic(b.district, b.gateway, b.device, 'data'),
  payload: encodeDataBatch(b),
}));
const allLines = batches.flatMap(
  (b) => toLineProtocol(b, { district: b.district, gateway: b.gateway, device: b.device }).lines,
);
const TOTAL_POINTS = MESSAGES * TIMES * POINTS;

async function startBroker() {
  const child = spawn(process.execPath, [new URL('./broker.mjs', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve) =>
    child.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
  );
  return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid, stop: () => stopPeer(child) };
}

async function backlog(url, clientId) {
  // the ingest's session must exist (subscriptions) before the backlog is published
  const pub = mqtt.connect(url, { clientId: `bench-pub-${clientId}`, protocolVersion: 4 });
  await new Promise((r) => pub.once('connect', r));
  let i = 0;
  const window = [];
  for (const m of payloads) {
    window.push(pub.publishAsync(m.topic, m.payload, { qos: 1 }));
    if (++i % 200 === 0) await Promise.all(window.splice(0));
  }
  await Promise.all(window);
  await pub.endAsync();
}

// CPU per process, from /proc (the whole thread group) and, for a store thread inside this
// process (SQLite's worker), per thread.
const TICK = Number(String(spawnSync('getconf', ['CLK_TCK']).stdout).trim()) || 100;
function statCpu(path) {
  try {
    const s = readFileSync(path, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK; // utime + stime, seconds
  } catch {
    return 0; // the thread or process is gone
  }
}
const procCpu = (pid) => (pid ? statCpu(`/proc/${pid}/stat`) : 0);
const threadsCpu = (tids) => tids.reduce((a, t) => a + statCpu(`/proc/self/task/${t}/stat`), 0);
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const tasks = () => new Set(readdirSync('/proc/self/task'));

/**
 * CPU seconds of the broker, the ingest (this process, minus store threads) and the store
 * (its process, or its threads in this one) over a window; `end(points)` gives them per
 * million points.
 */
function cpuWindow({ brokerPid, storePid, storeTids = [] }) {
  const b0 = procCpu(brokerPid);
  const s0 = procCpu(storePid) + threadsCpu(storeTids);
  const i0 = selfCpu();
  return {
    end(points) {
      const store = procCpu(storePid) + threadsCpu(storeTids) - s0;
      const per = 1e6 / points;
      return {
        broker: brokerPid ? (procCpu(brokerPid) - b0) * per : 0,
        ingest: (selfCpu() - i0 - (storePid ? 0 : store)) * per,
        store: store * per,
      };
    },
  };
}

/** Drains MESSAGES queued messages through a fresh ingest into `store`; returns figures. */
async function throughIngest(lib, broker, store, opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ganzhi-bench-ingest-'));
  const clientId = `bench-ingest-${Math.random().toString(36).slice(2)}`;
  const cfg = lib.parseConfig(
    JSON.stringify({
      mqtt: { url: broker.url, clientId },
      store,
      batch: { lines: BATCH_LINES, flushMs: 100, maxInFlight: IN_FLIGHT },
      log: { dir: join(dir, 'log'), fsyncIntervalMs: 1000 },
      deadLetterFile: join(dir, 'dl.jsonl'),
      completeness: { file: join(dir, 'c.json'), writeEveryMs: 0 },
      http: { port: 0 },
    }),
    join(dir, 'cfg.json'),
    {},
  );
  let ingest = await lib.startIngest(cfg, { logger, sink: await opts.sink?.() });
  await waitUntil('subscribed', () => ingest.receiver.connected);
  await sleep(300);
  await ingest.close();
  await backlog(broker.url, clientId);
  // a store in a thread of this process (SQLite): the threads that its creation starts
  const before = tasks();
  const sink = await opts.sink?.();
  const storeTids = sink ? [...tasks()].filter((t) => !before.has(t)) : [];
  pinThreads(storeTids);
  ingest = await lib.startIngest(cfg, { logger, sink });
  const lat = [];
  const client = ingest.receiver.client;
  const orig = client.handleMessage;
  // PUBACK delay: from handleMessage to the PUBACK written to the socket. The microtask runs
  // after the receiver's append + uncork (queued before it) and after MQTT.js' own uncork
  // (a nextTick): both builds then have the PUBACK in the kernel.
  client.handleMessage = (packet, done) => {
    const t = performance.now();
    orig(packet, (err) => {
      done(err);
      queueMicrotask(() => lat.push(performance.now() - t));
    });
  };
  const prof = await startProfile();
  const gc = { major: 0, minor: 0, ms: 0 };
  const gcObs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
      else gc.minor++;
      gc.ms += e.duration;
    }
  });
  gcObs.observe({ entryTypes: ['gc'] });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const main0 = threadsCpu([String(process.pid)]);
  const win = cpuWindow({ brokerPid: broker.pid, storePid: opts.storePid, storeTids });
  await waitUntil('all points written', () => ingest.metrics.points.get() >= TOTAL_POINTS, 120_000, 5);
  const secs = (performance.now() - t0) / 1000;
  const du = process.cpuUsage(cpu0);
  const mainPerMsg = ((threadsCpu([String(process.pid)]) - main0) * 1e6) / MESSAGES; // µs, main thread only
  const cpu = win.end(TOTAL_POINTS);
  gcObs.disconnect();
  await prof?.stop(`${store.type}${opts.tag ?? ''}`);
  const cpuPerMsg = (du.user + du.system) / MESSAGES; // µs of this process per message
  // lines per store write: the writer sends a partial batch when it has caught up with the
  // log and a write slot is free, so against a fast store its writes are smaller than the ceiling's
  const perWrite = ingest.metrics.lines.get() / ingest.metrics.batches.get();
  await ingest.close();
  rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return {
    pps: TOTAL_POINTS / secs,
    mps: MESSAGES / secs,
    p50: q(0.5),
    p99: q(0.99),
    cpuPerMsg,
    perWrite,
    cpu,
    mainPerMsg,
    gc,
  };
}

/** The broker's own bound: the same backlog drained by a bare MQTT.js client that acks at once. */
async function brokerOnly(broker) {
  const url = broker.url;
  const clientId = `bench-drain-${Math.random().toString(36).slice(2)}`;
  const opts = { clientId, clean: false, protocolVersion: 4 };
  let c = mqtt.connect(url, opts);
  await new Promise((r) => c.once('connect', r));
  await c.subscribeAsync('gz/v1/+/+/+/data', { qos: 1 });
  await c.endAsync();
  await backlog(url, clientId);
  let n = 0;
  let resolveAll;
  const all = new Promise((r) => {
    resolveAll = r;
  });
  c = mqtt.connect(url, { ...opts, manualConnect: true });
  c.handleMessage = (_packet, done) => {
    if (++n === MESSAGES) resolveAll(performance.now());
    done();
  };
  const win = cpuWindow({ brokerPid: broker.pid });
  const tStart = performance.now();
  c.connect();
  const t1 = await all;
  const cpu = win.end(TOTAL_POINTS);
  await c.endAsync();
  const secs = (t1 - tStart) / 1000;
  return {
    pps: TOTAL_POINTS / secs,
    mps: MESSAGES / secs,
    p50: Number.NaN,
    p99: Number.NaN,
    cpuPerMsg: Number.NaN,
    perWrite: Number.NaN,
    cpu,
  };
}

/** The same lines straight to the store: batches of BATCH_LINES, IN_FLIGHT at a time. */
async function ceiling(write, storePid, storeTids = []) {
  const chunks = [];
  for (let i = 0; i < allLines.length; i += BATCH_LINES) chunks.push(allLines.slice(i, i + BATCH_LINES));
  const win = cpuWindow({ storePid, storeTids });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < chunks.length) await write(chunks[next++]);
    }),
  );
  const pps = TOTAL_POINTS / ((performance.now() - t0) / 1000);
  const cpu = win.end(TOTAL_POINTS);
  // in-process store on this thread (SQLite): everything measured is the store's
  if (!storePid && storeTids.length === 0) return { pps, cpu: { broker: 0, ingest: 0, store: cpu.ingest } };
  return { pps, cpu };
}

async function post(url, body) {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  if (r.status >= 300) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
}

const gcText = (x) => `${x.gc.major}/${x.gc.minor}, ${x.gc.ms.toFixed(0)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ONLY = process.env.BENCH_ONLY ?? '';
const want = (k) => ONLY === '' || ONLY.split(',').includes(k);
const NULL_RUNS = Number(process.env.BENCH_NULL_RUNS ?? (BASE ? 3 : 1));
const rows = [];
const baseRuns = [];
const nullRuns = [];
let drain;
let n;
const loadBefore = (await import('node:os')).loadavg().map((x) => x.toFixed(2));
const broker = await startBroker();
try {
  // the broker alone, then the null sink (alternately with the baseline dist, if given)
  // twice (before and after the null-sink runs), the faster counts: the broker's bound
  const drain1 = await brokerOnly(broker);
  // alternating, and each first in every other round (the first run warms up shared code)
  for (let r = 0; r < NULL_RUNS; r++) {
    const base = async () => {
      if (BASE) baseRuns.push(await throughIngest(BASE, broker, { type: 'null' }, { tag: '-baseline' }));
    };
    const cur = async () => nullRuns.push(await throughIngest(LIB, broker, { type: 'null' }));
    if (r % 2 === 0) {
      await base();
      await cur();
    } else {
      await cur();
      await base();
    }
  }
  const drain2 = await brokerOnly(broker);
  drain = drain1.pps >= drain2.pps ? drain1 : drain2;
  const pick = (runs) => runs.find((x) => x.cpuPerMsg === median(runs.map((y) => y.cpuPerMsg)));
  n = pick(nullRuns);
  rows.push(['broker only (bare subscriber, acks at once)', drain, undefined]);
  if (BASE) rows.push([`null sink, baseline dist (median of ${NULL_RUNS})`, pick(baseRuns), undefined]);
  rows.push([BASE ? `null sink (median of ${NULL_RUNS})` : 'null sink', n, undefined]);

  // SQLite: the store's writes run in its worker thread in the ingest process
  if (want('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'ganzhi-bench-sqlite-'));
    const s = await throughIngest(
      LIB,
      broker,
      { type: 'sqlite', file: join(dir, 'a.db') },
      { sink: () => createSqliteThreadSink({ file: join(dir, 'a.db') }) },
    );
    // pinned: the same thread sink as the ingest's, on the store's core; else on this thread
    const before = tasks();
    const direct = PIN
      ? await createSqliteThreadSink({ file: join(dir, 'b.db') })
      : createSqliteSink({ file: join(dir, 'b.db') });
    const tids = PIN ? [...tasks()].filter((t) => !before.has(t)) : [];
    pinThreads(tids);
    const c = await ceiling((ls) => direct.write(ls), undefined, tids);
    await direct.close();
    rows.push(['SQLite', s, c]);
    rmSync(dir, { recursive: true, force: true });
  }

  // InfluxDB 1.6, v1 /write
  if (want('influx')) {
    const dir = mkdtempSync(join(tmpdir(), 'ganzhi-bench-influxd-'));
    const port = await freePort();
    const rpc = await freePort();
    writeFileSync(
      join(dir, 'influxdb.conf'),
      `reporting-enabled = false\nbind-address = "127.0.0.1:${rpc}"\n[meta]\n  dir = "${dir}/meta"\n  logging-enabled = false\n[data]\n  dir = "${dir}/data"\n  wal-dir = "${dir}/wal"\n  query-log-enabled = false\n[http]\n  bind-address = "127.0.0.1:${port}"\n  log-enabled = false\n[monitor]\n  store-enabled = false\n`,
    );
    const influxd = spawnPeer('influxd', ['run', '-config', join(dir, 'influxdb.conf')], dir);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntil('influxd', async () => (await fetch(`${url}/ping`)).status === 204);
      for (const db of ['ingest', 'ceiling'])
        await fetch(`${url}/query?q=${encodeURIComponent(`CREATE DATABASE ${db}`)}`, { method: 'POST' });
      const s = await throughIngest(
        LIB,
        broker,
        { type: 'influxdb-v1', url, database: 'ingest' },
        { storePid: influxd.pid },
      );
      const c = await ceiling(
        (ls) => post(`${url}/write?db=ceiling&precision=ms`, ls.join('\n')),
        influxd.pid,
      );
      rows.push(['InfluxDB 1.6 (v1 /write)', s, c]);
    } finally {
      await stopPeer(influxd);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // VictoriaMetrics, v2 write API through @influxdata/influxdb-client
  if (want('vm')) {
    const dir = mkdtempSync(join(tmpdir(), 'ganzhi-bench-vm-'));
    const port = await freePort();
    const vm = spawnPeer(
      'victoria-metrics',
      [`-storageDataPath=${dir}/data`, `-httpListenAddr=127.0.0.1:${port}`, '-loggerLevel=ERROR'],
      dir,
    );
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitUntil('victoria-metrics', async () => (await fetch(`${url}/health`)).ok);
      const s = await throughIngest(
        LIB,
        broker,
        { type: 'influxdb-v2', url, org: 'o', bucket: 'ingest', gzipThreshold: 1e9 },
        { storePid: vm.pid },
      );
      const c = await ceiling(
        (ls) => post(`${url}/api/v2/write?org=o&bucket=ceiling&precision=ms`, ls.join('\n')),
        vm.pid,
      );
      rows.push(['VictoriaMetrics (v2 API, no gzip)', s, c]);
    } finally {
      await stopPeer(vm);
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await broker.stop();
}

const f = (x) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
const n2 = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const loadAfter = (await import('node:os')).loadavg().map((x) => x.toFixed(2));
console.log(`### cloud-ingest: broker → store throughput\n`);
console.log(
  `${MESSAGES.toLocaleString('en-US')} QoS 1 messages queued for the ingest's persistent session, ${TIMES * POINTS} readings each ` +
    `(${TIMES} timestamps × ${POINTS} points → ${TIMES} lines), ${GATEWAYS} gateways; store writes of ${BATCH_LINES} lines, ${IN_FLIGHT} in flight. ` +
    `Broker (Aedes) in a child process. Ceiling = the same lines posted straight to the store with the same batch size and concurrency. ` +
    `Load average (1, 5, 15 min) before: ${loadBefore.join(', ')}; after: ${loadAfter.join(', ')}. ` +
    (PIN
      ? `Pinned (BENCH_PIN=1): the store on CPU ${STORE_CPU} in both runs (SQLite: its writer thread, in the ceiling run too); the broker, the ingest and the ceiling's client on CPU ${OTHER_CPUS}.\n`
      : `Not pinned: every process may use all ${NCPU} cores.\n`),
);
console.log(
  '| store | points/s via ingest | msgs/s | ceiling points/s | ratio | of broker drain | PUBACK delay p50 / p99 (ms) | ingest CPU µs/msg | lines per write |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [name, s, c] of rows) {
  const ofDrain = s === drain ? '1' : (s.pps / drain.pps).toFixed(2);
  console.log(
    `| ${name} | ${f(s.pps)} | ${f(s.mps)} | ${f(c?.pps)} | ${c ? (s.pps / c.pps).toFixed(2) : '—'} | ${ofDrain} | ${n2(s.p50, 3)} / ${n2(s.p99, 3)} | ${n2(s.cpuPerMsg, 0)} | ${n2(s.perWrite, 0)} |`,
  );
}
console.log(
  `\nGoals: ≥ 0.8 of the ceiling; ≥ 200 000 points/s into the null sink (got ${f(n.pps)}). ` +
    '"of broker drain" = the row\'s rate ÷ the rate at which this broker hands the same backlog to a subscriber that does nothing ' +
    '(the most any subscriber can get here): no store can reach a ratio to its ceiling above drain ÷ ceiling through this broker. ' +
    '"ingest CPU µs/msg" is the ingest process\'s own CPU per message (for SQLite it includes the store\'s thread).',
);
if (BASE) {
  const b = baseRuns.map((x) => x.cpuPerMsg);
  const a = nullRuns.map((x) => x.cpuPerMsg);
  console.log(
    `\nNull sink, side by side (alternating runs): ingest CPU µs/msg baseline ${b.map((x) => x.toFixed(0)).join(', ')}; ` +
      `this build ${a.map((x) => x.toFixed(0)).join(', ')}; median ratio ${(median(b) / median(a)).toFixed(2)}×. ` +
      `Main thread only (/proc, 10 ms ticks): baseline ${baseRuns.map((x) => x.mainPerMsg.toFixed(0)).join(', ')}; ` +
      `this build ${nullRuns.map((x) => x.mainPerMsg.toFixed(0)).join(', ')}. ` +
      `GC in the drain window (major/minor, ms): baseline ${baseRuns.map(gcText).join('; ')}; this build ${nullRuns.map(gcText).join('; ')}.`,
  );
}

// CPU seconds per million points, per process, and what reaching 0.8 of the ceiling takes
console.log('\n#### CPU seconds per million points, and cores needed for 0.8 of the ceiling\n');
console.log(
  '| store | via ingest: broker | ingest | store | total | ceiling: client | store | cores for 0.8 × ceiling: broker + ingest + store = total | ingest processes needed |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---|---:|');
for (const [name, s, c] of rows) {
  const v = s.cpu;
  const total = v.broker + v.ingest + v.store;
  if (!c) {
    console.log(
      `| ${name} | ${n2(v.broker, 2)} | ${n2(v.ingest, 2)} | ${n2(v.store, 2)} | ${n2(total, 2)} | — | — | — | — |`,
    );
    continue;
  }
  const mpts = (0.8 * c.pps) / 1e6; // million points per second to sustain
  const cores = (x) => (x * mpts).toFixed(2);
  console.log(
    `| ${name} | ${n2(v.broker, 2)} | ${n2(v.ingest, 2)} | ${n2(v.store, 2)} | ${n2(total, 2)} | ${n2(c.cpu.ingest, 2)} | ${n2(c.cpu.store, 2)} | ` +
      `${cores(v.broker)} + ${cores(v.ingest)} + ${cores(v.store)} = **${cores(total)}** | ${Math.ceil(v.ingest * mpts)} |`,
  );
}
console.log(
  '\nMethod: utime + stime from /proc/<pid>/stat (all threads) of the broker process and of the store process ' +
    '(influxd, victoria-metrics), and process.cpuUsage() of the ingest process, each read at the start and the end of the ' +
    'drain window (via ingest) or of the posting window (ceiling), divided by the points written. For SQLite the store is ' +
    "the ingest's worker thread (its /proc/self/task/<tid>/stat), subtracted from the ingest; in the ceiling run SQLite " +
    'writes on the posting thread, so all of that is the store (pinned: in a worker thread, as in the ingest). ' +
    '"ceiling: client" is the process posting the lines. /proc counts in clock ticks (10 ms), so each /proc figure is ' +
    '±0.02 s per million points (600 000 points). ' +
    'Cores for 0.8 × ceiling = CPU s per million points × 0.8 × ceiling points/s ÷ 10⁶, per process: what a machine needs ' +
    'so that no process waits for a core. One ingest process uses one core for its main thread (plus GC threads): more than ' +
    '1.0 for the ingest means that many workers (Scaling out). The broker is one Node process too: above 1.0 it needs a ' +
    'faster core or a broker cluster. The ceiling itself was measured with the store alone on this machine.',
);
