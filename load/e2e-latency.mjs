#!/usr/bin/env node
// End to end: sample → queryable latency at offered rates of 5k, 20k and 50k points/s.
//
// MQTT.js clients acting as gateways (this process) publish contract v1 DataBatch messages
// (QoS 1, 20 readings each, source ts = now, each reading's value = −unique id) to our broker
// (broker/dist/cli.js, own process) → our ingest (cloud-ingest/dist/cli.js, own process,
// SQLite store) → this process polls the SQLite file read-only and records, per reading,
// (first time a SELECT returns it) − (source ts).
//
//   node load/e2e-latency.mjs                 # 5000,20000,50000 points/s, 20 s each
//   LOAD_RATES=5000 LOAD_SECONDS=10 node load/e2e-latency.mjs
//
// Prints a Markdown section on stdout; progress on stderr.
import { rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import mqtt from 'mqtt';
import { deviceTopic, encodeDataBatch } from '../device-profiles/dist/index.js';
import {
  fmt,
  loadAvg,
  metric,
  percentile,
  procMeter,
  sleep,
  startBrokerCli,
  startIngestCli,
  tempDir,
} from './lib/procs.mjs';
import { createStorePoller } from './lib/store-poller.mjs';

const RATES = (process.env.LOAD_RATES ?? '5000,20000,50000').split(',').map(Number);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const DRAIN_MS = Number(process.env.LOAD_DRAIN_MS ?? 20_000);
const GATEWAYS = 200;
const POINTS = 20; // readings per batch, as a city gateway sends
const POLL_MS = 20;
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

const dir = tempDir('e2e');
const broker = await startBrokerCli(dir, 'broker');
const ingest = await startIngestCli(dir, 'ingest', { brokerUrl: broker.url });
log(`broker pid ${broker.pid} ${broker.url}; ingest pid ${ingest.pid}; dir ${dir}`);

const gateways = [];
for (let g = 0; g < GATEWAYS; g++) {
  const gateway = `gw-e2e-${g}`;
  const client = await mqtt.connectAsync(broker.url, { clientId: gateway, clean: true, keepalive: 60 });
  gateways.push({
    gateway,
    client,
    topic: deviceTopic('north', gateway, 'meter-1', 'data'),
    seq: 0,
    lastTs: 0,
    stream: `s${g}${Date.now().toString(36)}`,
  });
}

let nextId = 1;
const rows = [];
try {
  for (const rate of RATES) rows.push(await runRate(rate));
} finally {
  await Promise.all(gateways.map((g) => g.client.endAsync()));
  await ingest.stop();
  await broker.stop();
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const out = [
  '### End to end: sample → queryable latency (broker → ingest → SQLite)',
  '',
  `Command: \`node load/e2e-latency.mjs\` (LOAD_RATES=${RATES.join(',')}, LOAD_SECONDS=${SECONDS})  `,
  `Machine: ${machine}; load average at the end ${loadAvg()}`,
  '',
  `${GATEWAYS} MQTT.js gateways (one device each, source ts strictly rising per gateway) in the load process publish contract v1 DataBatch messages (QoS 1, ${POINTS} readings each, source ts = now) → broker CLI (own process, memory persistence) → ingest CLI (own process, SQLite store in a worker thread, batches of up to 5000 lines, flush 200 ms, 2 in flight) → the load process polls the SQLite file read-only every ${POLL_MS} ms. Latency = first poll that returns the reading − its source ts (so it includes up to one poll interval + the query). Sustained = readings that became queryable during the publishing window ÷ its length. CPU is measured over the publishing window only.`,
  '',
  '| offered points/s | published points/s | sustained queryable points/s | msgs/s | p50 ms | p90 ms | p99 ms | max ms | not queryable after drain | broker CPU % | ingest CPU % | load process CPU % | ingest RSS MiB (peak) |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${fmt(r.rate)} | ${fmt(r.published)} | ${fmt(r.sustained)} | ${fmt(r.msgs)} | ${fmt(r.p50)} | ${fmt(r.p90)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${fmt(r.missing)} | ${fmt(r.broker.cpuPct)} | ${fmt(r.ingest.cpuPct)} | ${fmt(r.self.cpuPct)} | ${fmt(r.ingest.peakRssMiB)} |`,
  ),
  '',
  `Mean poll (query + match) ${fmt(rows.at(-1)?.pollMs ?? Number.NaN, 1)} ms. 100 % CPU = one core; the machine has ${cpus().length}, shared with other work.`,
];
process.stdout.write(`${out.join('\n')}\n`);
if (!process.env.LOAD_KEEP) rmSync(dir, { recursive: true, force: true });
process.exit(0);

async function runRate(rate) {
  const poller = createStorePoller([ingest.dbFile], { intervalMs: POLL_MS, giveUpMs: 30_000 });
  const meters = {
    broker: procMeter(broker.pid),
    ingest: procMeter(ingest.pid),
    self: procMeter(process.pid),
  };
  const msgsPerSec = rate / POINTS;
  let sent = 0;
  let publishedPoints = 0;
  const writesBefore = await metric(
    `http://127.0.0.1:${ingest.httpPort}/metrics`,
    'ganzhi_ingest_points_total',
  );
  for (const m of Object.values(meters)) m.start();
  poller.start();
  const t0 = performance.now();
  const tStart = Date.now();
  let gi = 0;
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const el = performance.now() - t0;
      if (el >= SECONDS * 1000) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor((el / 1000) * msgsPerSec) - sent;
      for (let i = 0; i < due; i++) {
        const g = gateways[gi++ % GATEWAYS];
        // one device's point has one value per ms: a second batch from the same gateway in the
        // same ms would overwrite the first in the store (same key), so keep ts strictly rising
        const ts = Math.max(Date.now(), g.lastTs + 1);
        g.lastTs = ts;
        const readings = new Array(POINTS);
        for (let p = 0; p < POINTS; p++) {
          const id = nextId++;
          readings[p] = { point: `p${p < 10 ? '0' : ''}${p}`, value: -id, ts, quality: 'good' };
          poller.track(id, ts);
        }
        const batch = {
          v: 1,
          gateway: g.gateway,
          district: 'north',
          device: 'meter-1',
          model: 'eastron-sdm630',
          measurement: 'load_meter',
          stream: g.stream,
          seq: g.seq++,
          sent: ts,
          readings,
        };
        g.client.publish(g.topic, encodeDataBatch(batch), { qos: 1 });
        sent++;
        publishedPoints += POINTS;
      }
      for (const m of Object.values(meters)) m.tick();
    }, 5);
  });
  const tEnd = Date.now();
  for (const m of Object.values(meters)) m.tick();
  const cpu = Object.fromEntries(Object.entries(meters).map(([k, m]) => [k, m.result()]));
  const publishSeconds = (tEnd - tStart) / 1000;
  const drainStart = Date.now();
  while (poller.pending > 0 && Date.now() - drainStart < DRAIN_MS) await sleep(100);
  poller.stop();
  poller.poll();
  const missing = poller.pending + poller.abandoned;
  const inWindow = poller.storedAt.filter((t) => t <= tEnd).length;
  const lat = Float64Array.from(poller.latencies).sort();
  const writesAfter = await metric(
    `http://127.0.0.1:${ingest.httpPort}/metrics`,
    'ganzhi_ingest_points_total',
  );
  const r = {
    rate,
    published: publishedPoints / publishSeconds,
    sustained: inWindow / publishSeconds,
    msgs: sent / publishSeconds,
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    max: lat.at(-1),
    missing,
    pollMs: poller.stats().meanPollMs,
    ingestPoints: (writesAfter ?? 0) - (writesBefore ?? 0),
    ...cpu,
  };
  log(`rate ${rate}: ${JSON.stringify(r)}`);
  // let the system settle before the next rate
  await sleep(1000);
  return r;
}
