#!/usr/bin/env node
// City scale: N simulated gateways (default 10 000), each publishing a contract v1 DataBatch
// of 20 readings every 10 s (QoS 1) with a birth and a will, against
//   mode "single":  one broker process (memory persistence)
//   mode "redis":   two broker processes on one redis-server (cluster mode), gateways split
// with the ingest partitioned across two worker processes (gateway hash, index 0/1, count 2),
// each writing its own SQLite file (LOAD_STORE=null for the null sink).
//
//   node load/city.mjs single        # or: redis
//   LOAD_GATEWAYS=2000 LOAD_STEADY_S=30 node load/city.mjs redis
//
// The gateways live in LOAD_SWARMS forked processes on raw sockets (load/lib/gateway-swarm.mjs);
// LOAD_PROBES of them are MQTT.js clients in this process whose readings carry −id values so
// their time to queryable in SQLite is measured (the ingest lag sample). Markdown on stdout.
import { fork } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import {
  deviceTopic,
  encodeDataBatch,
  encodeGatewayState,
  gatewayTopic,
} from '../device-profiles/dist/index.js';
import {
  fmt,
  loadAvg,
  metric,
  percentile,
  procMeter,
  ROOT,
  sleep,
  startBrokerCli,
  startIngestCli,
  startRedis,
  tempDir,
} from './lib/procs.mjs';
import { createStorePoller } from './lib/store-poller.mjs';

const MODE = process.argv[2] ?? 'single';
const TOTAL = Number(process.env.LOAD_GATEWAYS ?? 10_000);
const PROBES = Number(process.env.LOAD_PROBES ?? 100);
const SWARMS = Number(process.env.LOAD_SWARMS ?? 2);
const PERIOD_MS = 10_000;
const POINTS = 20;
const STEADY_S = Number(process.env.LOAD_STEADY_S ?? 60);
const STORE = process.env.LOAD_STORE ?? 'sqlite';
// per swarm process; Redis mode connects slower (each CONNECT/will/birth goes through Redis)
const CONNECT_PER_SEC = Number(process.env.LOAD_CONNECT_PER_SEC ?? (MODE === 'redis' ? 150 : 1000));
const RAMP_WAIT_MS = 90_000;
const log = (...a) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${a.join(' ')}\n`);

const dir = tempDir(`city-${MODE}`);
const procs = [];
const stopAll = async () => {
  for (const p of procs.reverse()) await p.stop().catch(() => {});
};

let redis;
const brokers = [];
if (MODE === 'redis') {
  redis = await startRedis(dir);
  procs.push(redis);
  for (const name of ['broker-a', 'broker-b']) {
    // the broker coalesces Aedes' per-filter addSubscriptions calls itself (broker/src/persistence/coalesce-subscriptions.ts);
    // the measured run in BENCHMARKS.md predates that and preloaded load/lib/redis-subscribe-fix.cjs
    const b = await startBrokerCli(dir, name, { redis: redis.url });
    procs.push(b);
    brokers.push(b);
  }
} else {
  const b = await startBrokerCli(dir, 'broker');
  procs.push(b);
  brokers.push(b);
}
const ingests = [];
for (let index = 0; index < 2; index++) {
  const ing = await startIngestCli(dir, `ingest-${index}`, {
    brokerUrl: brokers[index % brokers.length].url,
    store: STORE,
    partition: { by: 'gateway-hash', index, count: 2 },
  });
  procs.push(ing);
  ingests.push(ing);
}
log(
  `${MODE}: brokers ${brokers.map((b) => `${b.name}=${b.pid}`).join(' ')}; ingests ${ingests.map((i) => i.pid).join(' ')}; dir ${dir}`,
);

// swarm processes
const swarmN = TOTAL - PROBES;
const swarmStats = [];
const swarms = [];
for (let s = 0; s < SWARMS; s++) {
  const from = Math.floor((swarmN * s) / SWARMS);
  const to = Math.floor((swarmN * (s + 1)) / SWARMS);
  const child = fork(
    join(ROOT, 'load/lib/gateway-swarm.mjs'),
    [
      JSON.stringify({
        ports: brokers.map((b) => b.port),
        from,
        to,
        total: TOTAL,
        periodMs: PERIOD_MS,
        points: POINTS,
        connectPerSec: CONNECT_PER_SEC,
      }),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  swarmStats[s] = {};
  child.on('message', (m) => {
    swarmStats[s] = m;
  });
  swarms.push(child);
}
const sumSwarm = (k) => swarmStats.reduce((a, s) => a + (s[k] ?? 0), 0);

// probe gateways (MQTT.js, this process), indices swarmN … TOTAL-1
const poller = createStorePoller(ingests.map((i) => i.dbFile).filter(Boolean), { intervalMs: 50 });
poller.start(); // from the first probe reading on, so every latency is measured, not deferred
const probes = [];
let nextId = 1;
for (let i = swarmN; i < TOTAL; i++) {
  const gateway = `gw-${String(i).padStart(5, '0')}`;
  const district = 'probe';
  const stateTopic = gatewayTopic(district, gateway, 'state');
  const stream = `pr-${i.toString(36)}`;
  const client = await mqtt.connectAsync(brokers[i % brokers.length].url, {
    clientId: gateway,
    clean: true,
    keepalive: 60,
    will: {
      topic: stateTopic,
      payload: encodeGatewayState({ v: 1, state: 'offline', ts: Date.now(), stream }),
      qos: 1,
      retain: true,
    },
  });
  client.publish(stateTopic, encodeGatewayState({ v: 1, state: 'online', ts: Date.now(), stream }), {
    qos: 1,
    retain: true,
  });
  probes.push({
    i,
    gateway,
    district,
    client,
    topic: deviceTopic(district, gateway, 'meter-1', 'data'),
    stream,
    seq: 0,
  });
}
let probePublished = 0;
const probeTimers = probes.map((p) => {
  // probes sample every phase of the period (not the slot their index would give them)
  const phase = Math.floor(((p.i - swarmN) * PERIOD_MS) / PROBES);
  const fire = () => {
    const ts = Date.now();
    const readings = [];
    for (let k = 0; k < POINTS; k++) {
      const id = nextId++;
      poller.track(id, ts);
      readings.push({ point: `p${k < 10 ? '0' : ''}${k}`, value: -id, ts, quality: 'good' });
    }
    p.client.publish(
      p.topic,
      encodeDataBatch({
        v: 1,
        gateway: p.gateway,
        district: p.district,
        device: 'meter-1',
        model: 'eastron-sdm630',
        measurement: 'load_meter',
        stream: p.stream,
        seq: p.seq++,
        sent: ts,
        readings,
      }),
      { qos: 1 },
    );
    probePublished++;
  };
  let iv;
  const t = setTimeout(() => {
    fire();
    iv = setInterval(fire, PERIOD_MS);
  }, phase);
  return () => {
    clearTimeout(t);
    clearInterval(iv);
  };
});

// wait for the ramp (or give up after RAMP_WAIT_MS and measure what is held)
const rampStart = Date.now();
let rampMs;
while (Date.now() - rampStart < RAMP_WAIT_MS) {
  await sleep(500);
  const up = sumSwarm('connected') + probes.length;
  if (up >= TOTAL) {
    rampMs = Date.now() - rampStart;
    break;
  }
}
log(
  `ramp: ${sumSwarm('connected') + probes.length} connected after ${((Date.now() - rampStart) / 1000).toFixed(1)} s`,
);
await sleep(PERIOD_MS); // one full period so every gateway has published once

// steady window
const meters = [
  ...brokers.map((b) => ({ name: b.name, m: procMeter(b.pid) })),
  ...ingests.map((i) => ({ name: i.name, m: procMeter(i.pid) })),
  ...(redis ? [{ name: 'redis-server', m: procMeter(redis.pid) }] : []),
  ...swarms.map((c, s) => ({ name: `load swarm ${s}`, m: procMeter(c.pid) })),
  { name: 'load probes + poller', m: procMeter(process.pid) },
];
const brokerIn = async () => {
  let n = 0;
  for (const b of brokers)
    n += (await metric(`http://127.0.0.1:${b.httpPort}/metrics`, 'gz_broker_messages_in_total')) ?? 0;
  return n;
};
const brokerConns = async () => {
  const out = [];
  for (const b of brokers)
    out.push((await metric(`http://127.0.0.1:${b.httpPort}/metrics`, 'gz_broker_connections')) ?? Number.NaN);
  return out;
};
const ingestSum = async (name) => {
  let n = 0;
  for (const i of ingests) n += (await metric(`http://127.0.0.1:${i.httpPort}/metrics`, name)) ?? 0;
  return n;
};
const ingestEach = async (name) => {
  const out = [];
  for (const i of ingests) out.push((await metric(`http://127.0.0.1:${i.httpPort}/metrics`, name)) ?? 0);
  return out;
};
const minConns = [Number.POSITIVE_INFINITY];
for (const x of meters) x.m.start();
const w0 = {
  t: performance.now(),
  in: await brokerIn(),
  points: await ingestSum('ganzhi_ingest_points_total'),
  msgs: await ingestSum('ganzhi_ingest_messages_total'),
  skipped: await ingestSum('ganzhi_ingest_messages_skipped_total'),
  pub: sumSwarm('published') + probePublished,
  acks: sumSwarm('pubacks'),
  logRecords: await ingestEach('ganzhi_ingest_log_records'),
};
const steadyStartWall = Date.now();
const steadyEnd = Date.now() + STEADY_S * 1000;
let maxLogRecords = 0;
while (Date.now() < steadyEnd) {
  await sleep(2000);
  for (const x of meters) x.m.tick();
  const c = (await brokerConns()).reduce((a, b) => a + b, 0);
  minConns[0] = Math.min(minConns[0], c);
  maxLogRecords = Math.max(maxLogRecords, ...(await ingestEach('ganzhi_ingest_log_records')));
}
const w1 = {
  t: performance.now(),
  in: await brokerIn(),
  points: await ingestSum('ganzhi_ingest_points_total'),
  msgs: await ingestSum('ganzhi_ingest_messages_total'),
  skipped: await ingestSum('ganzhi_ingest_messages_skipped_total'),
  pub: sumSwarm('published') + probePublished,
  acks: sumSwarm('pubacks'),
};
for (const x of meters) x.m.tick();
const secs = (w1.t - w0.t) / 1000;
const conns = await brokerConns();
const held = {
  swarm: sumSwarm('connected'),
  refused: sumSwarm('refused'),
  closed: sumSwarm('closed'),
  reconnects: sumSwarm('reconnects'),
  errors: sumSwarm('errors'),
  errCodes: [...new Set(swarmStats.flatMap((s) => s.errCodes ?? []))].join(', '),
};
log(`steady ${secs.toFixed(0)} s: ${JSON.stringify({ w0, w1, conns, held })}`);

// stop publishing, let the probes' last readings land
for (const stop of probeTimers) stop();
const drainStart = Date.now();
while (poller.pending > 0 && Date.now() - drainStart < 20_000) await sleep(200);
poller.stop();
poller.poll();
const lagBacklog = poller.pending;
for (const c of swarms) c.send('stop');
await Promise.all(swarms.map((c) => new Promise((r) => c.once('exit', r))));
await Promise.all(probes.map((p) => p.client.endAsync()));
await stopAll();

// lag of probe readings published inside the steady window only (not during the ramp)
const lat = Float64Array.from(
  poller.latencies.filter((l, k) => {
    const ts = poller.storedAt[k] - l;
    return ts >= steadyStartWall && ts <= steadyEnd;
  }),
).sort();
writeFileSync(
  join(dir, 'probe-latencies.json'),
  JSON.stringify(poller.storedAt.map((t, k) => [t, poller.latencies[k]])),
);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const title = MODE === 'redis' ? 'two broker nodes on Redis' : 'one broker';
const expectedMsgs = TOTAL / (PERIOD_MS / 1000);
const out = [
  `### City scale, ${title}: ${fmt(TOTAL)} gateways × ${POINTS} points every ${PERIOD_MS / 1000} s, ingest in 2 partitions (${STORE === 'null' ? 'null sink' : 'SQLite'})`,
  '',
  `Command: \`node load/city.mjs ${MODE}\` (LOAD_GATEWAYS=${TOTAL}, LOAD_STEADY_S=${STEADY_S}, LOAD_STORE=${STORE})  `,
  `Machine: ${machine}; load average at the end ${loadAvg()}`,
  '',
  `${fmt(swarmN)} gateways on raw sockets in ${SWARMS} load processes + ${PROBES} MQTT.js probe gateways (district \`probe\`) in the orchestrator; each CONNECTs with a retained offline will, publishes a retained online birth, then one DataBatch (QoS 1, ${POINTS} readings, ~1.5 KB) every ${PERIOD_MS / 1000} s, phases spread evenly. Broker CLI ${MODE === 'redis' ? '×2 with `--redis` (aedes-persistence-redis + mqemitter-redis) on one redis-server, gateways alternating between the nodes, ingest worker i on node i. (the broker coalesces the per-filter addSubscriptions calls of Aedes, without which a clean=false SUBSCRIBE with several filters never gets its SUBACK in Redis mode)' : '×1, memory persistence'}; anonymous (no scrypt at connect), connect-rate limit raised. Ingest CLI ×2, \`partition: {by: gateway-hash, index: 0|1, count: 2}\`, QoS 1 persistent sessions. Figures over a ${fmt(secs)} s steady window after the ramp and one full period.`,
  '',
  '| figure | value |',
  '|---|---:|',
  `| gateways connected at the end of the window (of ${fmt(TOTAL)}) | ${fmt(held.swarm + probes.length)} |`,
  `| broker connections (per node) at the end / lowest total seen | ${conns.map((c) => fmt(c)).join(' + ')} / ${fmt(minConns[0])} |`,
  `| ramp (${fmt(CONNECT_PER_SEC * SWARMS)} connects/s offered): all connected after | ${rampMs ? `${fmt(rampMs / 1000, 1)} s` : `not reached in ${RAMP_WAIT_MS / 1000} s`} |`,
  `| refused / dropped connections (each reconnected after 1–5 s) / socket errors, whole run | ${fmt(held.refused)} / ${fmt(held.closed)} / ${fmt(held.errors)}${held.errCodes ? ` (${held.errCodes})` : ''} |`,
  `| data msgs/s published (expected ${fmt(expectedMsgs)}) | ${fmt((w1.pub - w0.pub) / secs)} |`,
  `| broker msgs/s in (all nodes, incl. births) | ${fmt((w1.in - w0.in) / secs)} |`,
  `| ingest msgs/s kept (logged) / skipped as the other partition's, both workers | ${fmt((w1.msgs - w0.msgs) / secs)} / ${fmt((w1.skipped - w0.skipped) / secs)} |`,
  `| points/s stored (both workers; expected ${fmt(expectedMsgs * POINTS)}) | ${fmt((w1.points - w0.points) / secs)} |`,
  `| ingest lag (probe readings publish → queryable in SQLite) p50 / p90 / p99 / max ms | ${STORE === 'null' ? 'n/a (null sink)' : `${fmt(percentile(lat, 50))} / ${fmt(percentile(lat, 90))} / ${fmt(percentile(lat, 99))} / ${fmt(lat.at(-1))}`} |`,
  `| probe readings in the window measured / any probe reading not queryable 20 s after the end | ${fmt(lat.length)} / ${fmt(lagBacklog + poller.abandoned)} |`,
  `| ingest log backlog, highest seen (records, one worker) | ${fmt(maxLogRecords)} |`,
  '',
  '| process | CPU % of one core | RSS MiB (peak) |',
  '|---|---:|---:|',
  ...meters.map((x) => {
    const r = x.m.result();
    return `| ${x.name} | ${fmt(r.cpuPct)} | ${fmt(r.rssMiB)} (${fmt(r.peakRssMiB)}) |`;
  }),
  '',
];
process.stdout.write(`${out.join('\n')}\n`);
if (!process.env.LOAD_KEEP) rmSync(dir, { recursive: true, force: true });
process.exit(0);
