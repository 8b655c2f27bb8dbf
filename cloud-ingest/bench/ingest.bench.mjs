// Ingest throughput: points/s from the broker into each store (a backlog of QoS 1 messages
// queued for the ingest's persistent session, drained through the whole pipeline: PUBACK
// after the log append, decode, validate, line protocol, store write, log ack) versus
// posting the same line protocol straight to that store with the same batch size and
// concurrency (the ceiling). Also into the null sink, and the PUBACK latency the ingest
// adds (handleMessage → done). Broker in a child process; the ingest in this one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceTopic, encodeDataBatch, toLineProtocol } from '@ganzhi/device-profiles';
import mqtt from 'mqtt';
import pino from 'pino';
import { createSqliteSink, parseConfig, startIngest } from '../dist/index.js';

// The ingest runs with its launcher's V8 flags (bin/ganzhi-ingest.js); so does this process.
// BENCH_NODE_FLAGS='' measures without them.
const FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=32').split(' ').filter(Boolean);
if (FLAGS.some((f) => !process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...FLAGS, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

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
function spawnPeer(cmd, args, dir) {
  const out = join(dir, 'peer.log');
  writeFileSync(out, '');
  return spawn(cmd, args, { cwd: dir, stdio: 'ignore' });
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
    model: 'bench-meter',
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
  return { url: `mqtt://127.0.0.1:${port}`, stop: () => stopPeer(child) };
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

/** Drains MESSAGES queued messages through a fresh ingest into `store`; returns figures. */
async function throughIngest(brokerUrl, store, sink) {
  const dir = mkdtempSync(join(tmpdir(), 'ganzhi-bench-ingest-'));
  const clientId = `bench-ingest-${Math.random().toString(36).slice(2)}`;
  const cfg = parseConfig(
    JSON.stringify({
      mqtt: { url: brokerUrl, clientId },
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
  let ingest = await startIngest(cfg, { logger, sink: sink?.() });
  await waitUntil('subscribed', () => ingest.receiver.connected);
  await sleep(300);
  await ingest.close();
  await backlog(brokerUrl, clientId);
  ingest = await startIngest(cfg, { logger, sink: sink?.() });
  const lat = [];
  const client = ingest.receiver.client;
  const orig = client.handleMessage;
  client.handleMessage = (packet, done) => {
    const t = performance.now();
    orig(packet, (err) => {
      lat.push(performance.now() - t);
      done(err);
    });
  };
  const prof = await startProfile();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await waitUntil('all points written', () => ingest.metrics.points.get() >= TOTAL_POINTS, 120_000, 5);
  const secs = (performance.now() - t0) / 1000;
  const du = process.cpuUsage(cpu0);
  await prof?.stop(store.type);
  const cpuPerMsg = (du.user + du.system) / MESSAGES; // µs of this process per message
  // lines per store write: the writer sends a partial batch when it has caught up with the
  // log and a write slot is free, so against a fast store its writes are smaller than the ceiling's
  const perWrite = ingest.metrics.lines.get() / ingest.metrics.batches.get();
  await ingest.close();
  rmSync(dir, { recursive: true, force: true });
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { pps: TOTAL_POINTS / secs, mps: MESSAGES / secs, p50: q(0.5), p99: q(0.99), cpuPerMsg, perWrite };
}

/** The broker's own bound: the same backlog drained by a bare MQTT.js client that acks at once. */
async function brokerOnly(url) {
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
  const tStart = performance.now();
  c.connect();
  const t1 = await all;
  await c.endAsync();
  const secs = (t1 - tStart) / 1000;
  return {
    pps: TOTAL_POINTS / secs,
    mps: MESSAGES / secs,
    p50: Number.NaN,
    p99: Number.NaN,
    cpuPerMsg: Number.NaN,
    perWrite: Number.NaN,
  };
}

/** The same lines straight to the store: batches of BATCH_LINES, IN_FLIGHT at a time. */
async function ceiling(write) {
  const chunks = [];
  for (let i = 0; i < allLines.length; i += BATCH_LINES) chunks.push(allLines.slice(i, i + BATCH_LINES));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < chunks.length) await write(chunks[next++]);
    }),
  );
  return TOTAL_POINTS / ((performance.now() - t0) / 1000);
}

async function post(url, body) {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  if (r.status >= 300) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  await r.arrayBuffer();
}

const ONLY = process.env.BENCH_ONLY ?? '';
const want = (k) => ONLY === '' || ONLY.split(',').includes(k);
const rows = [];
let drain;
let n;
const broker = await startBroker();
try {
  // the broker alone, then the null sink
  drain = await brokerOnly(broker.url);
  n = await throughIngest(broker.url, { type: 'null' });
  rows.push(['broker only (bare subscriber, acks at once)', drain, undefined]);
  rows.push(['null sink', n, undefined]);

  // SQLite
  if (want('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'ganzhi-bench-sqlite-'));
    const s = await throughIngest(broker.url, { type: 'sqlite', file: join(dir, 'a.db') });
    const direct = createSqliteSink({ file: join(dir, 'b.db') });
    const c = await ceiling((ls) => direct.write(ls));
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
      const s = await throughIngest(broker.url, { type: 'influxdb-v1', url, database: 'ingest' });
      const c = await ceiling((ls) => post(`${url}/write?db=ceiling&precision=ms`, ls.join('\n')));
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
      const s = await throughIngest(broker.url, {
        type: 'influxdb-v2',
        url,
        org: 'o',
        bucket: 'ingest',
        gzipThreshold: 1e9,
      });
      const c = await ceiling((ls) =>
        post(`${url}/api/v2/write?org=o&bucket=ceiling&precision=ms`, ls.join('\n')),
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
console.log(`### cloud-ingest: broker → store throughput\n`);
console.log(
  `${MESSAGES.toLocaleString('en-US')} QoS 1 messages queued for the ingest's persistent session, ${TIMES * POINTS} readings each ` +
    `(${TIMES} timestamps × ${POINTS} points → ${TIMES} lines), ${GATEWAYS} gateways; store writes of ${BATCH_LINES} lines, ${IN_FLIGHT} in flight. ` +
    `Broker (Aedes) in a child process. Ceiling = the same lines posted straight to the store with the same batch size and concurrency.\n`,
);
console.log(
  '| store | points/s via ingest | msgs/s | ceiling points/s | ratio | of broker drain | PUBACK delay p50 / p99 (ms) | ingest CPU µs/msg | lines per write |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
const n2 = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '—');
for (const [name, s, c] of rows) {
  const ofDrain = s === drain ? '1' : (s.pps / drain.pps).toFixed(2);
  console.log(
    `| ${name} | ${f(s.pps)} | ${f(s.mps)} | ${f(c)} | ${c ? (s.pps / c).toFixed(2) : '—'} | ${ofDrain} | ${n2(s.p50, 3)} / ${n2(s.p99, 3)} | ${n2(s.cpuPerMsg, 0)} | ${n2(s.perWrite, 0)} |`,
  );
}
const load = (await import('node:os')).loadavg()[0].toFixed(1);
console.log(
  `\nGoals: ≥ 0.8 of the ceiling; ≥ 200 000 points/s into the null sink (got ${f(n.pps)}). ` +
    '"of broker drain" = the row\'s rate ÷ the rate at which this broker hands the same backlog to a subscriber that does nothing ' +
    '(the most any subscriber can get here): no store can reach a ratio to its ceiling above drain ÷ ceiling through this broker. ' +
    `Load average at the end: ${load} on this shared machine, so absolute figures vary from run to run. ` +
    '"ingest CPU µs/msg" is the ingest process\'s own CPU per message (for SQLite it includes the store\'s work).',
);
