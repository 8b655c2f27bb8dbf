// Fan-in: 100 MQTT.js publishers → 1 subscriber, QoS 0 and 1, 200 B and 4 KB, against
// our broker (scrypt auth + ACL + metrics), bare Aedes (no hooks) and Debian Mosquitto 2.
// Closed-loop load: at most WINDOW messages in flight end to end. Each broker runs in its own
// process; its CPU comes from /proc. Same load generator for all three.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';
import pino from 'pino';
import { newClientState } from '../dist/client-state.js';
import { InboundFrames } from '../dist/connection/inbound.js';
import { hashPassword } from '../dist/index.js';
import { BrokerMetrics } from '../dist/metrics.js';
import {
  BASELINE_CLI,
  connect,
  cpuSeconds,
  fmt,
  hasBin,
  startBare,
  startMosquitto,
  startOurs,
  tempDir,
} from './support.mjs';

const PUBLISHERS = 100;
const WINDOW = 1000;
const MEASURE_MS = Number(process.env.GZ_BENCH_MS ?? 2000);
const WARMUP_MS = 400;

const dir = tempDir();
const hash = await hashPassword('bench-password');
const users = { ingest: { role: 'ingest', hash } };
for (let i = 0; i < PUBLISHERS; i++) {
  const g = `gw-${String(i).padStart(3, '0')}`;
  users[g] = { role: 'gateway', district: 'bench', gateway: g, hash };
}
const usersFile = join(dir, 'users.json');
writeFileSync(usersFile, JSON.stringify({ users }));

const gw = (i) => `gw-${String(i).padStart(3, '0')}`;
const topic = (i) => `gz/v1/bench/${gw(i)}/dev/data`;

// client ids the broker binds to these users (a gateway's agent id, an ingest id)
async function fanIn(server, { auth, qos, size }) {
  const sub = await connect(
    server.port,
    auth ? { username: 'ingest', password: 'bench-password', clientId: 'ganzhi-ingest-bench' } : {},
  );
  await sub.subscribeAsync('gz/v1/+/+/+/data', { qos });
  const pubs = [];
  for (let i = 0; i < PUBLISHERS; i++) {
    pubs.push(
      await connect(
        server.port,
        auth ? { username: gw(i), password: 'bench-password', clientId: `gz-bench-${gw(i)}` } : {},
      ),
    );
  }
  const payload = Buffer.alloc(size, 0x61);
  let inflight = 0;
  let received = 0;
  let k = 0;
  let pumping = false;
  const pump = () => {
    if (pumping) return;
    pumping = true;
    while (inflight < WINDOW) {
      const i = k++ % PUBLISHERS;
      pubs[i].publish(topic(i), payload, { qos });
      inflight++;
    }
    pumping = false;
  };
  sub.on('message', () => {
    received++;
    inflight--;
    if (inflight < WINDOW / 2) setImmediate(pump);
  });
  let last = -1;
  const watchdog = setInterval(() => {
    if (received === last) {
      inflight = 0; // QoS 0 may be dropped under load: do not stall
      pump();
    }
    last = received;
  }, 200);
  pump();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const r0 = received;
  const c0 = cpuSeconds(server.pid);
  const g0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const secs = (performance.now() - t0) / 1000;
  const msgs = received - r0;
  const cpu = cpuSeconds(server.pid) - c0;
  const gen = process.cpuUsage(g0);
  clearInterval(watchdog);
  await Promise.all([sub, ...pubs].map((c) => c.endAsync(true)));
  return {
    rate: msgs / secs,
    cpuUsPerMsg: (cpu * 1e6) / msgs,
    brokerCores: cpu / secs,
    genCores: (gen.user + gen.system) / 1e6 / secs,
  };
}

const servers = [
  { name: 'ours (auth+ACL+metrics)', start: () => startOurs(dir, usersFile), auth: true },
  { name: 'bare Aedes', start: () => startBare(dir), auth: false },
];
if (BASELINE_CLI)
  servers.push({
    name: 'ours (baseline)',
    start: () => startOurs(dir, usersFile, [], BASELINE_CLI),
    auth: true,
  });
if (hasBin('mosquitto') && !process.env.GZ_BENCH_NO_MOSQUITTO)
  servers.push({ name: 'Mosquitto 2.0', start: () => startMosquitto(dir), auth: false });

const scenarios = [
  { qos: 0, size: 200 },
  { qos: 0, size: 4096 },
  { qos: 1, size: 200 },
  { qos: 1, size: 4096 },
];

// all brokers run at once and the scenarios alternate between them, so a change in the
// machine's background load hits all three alike
const results = {};
const running = [];
// GZ_BENCH_HOTPATH_ONLY=1: only the in-process measurement at the end
if (process.env.GZ_BENCH_HOTPATH_ONLY) servers.length = 0;
try {
  for (const s of servers) running.push(await s.start());
  for (const sc of scenarios) {
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i];
      results[`${s.name}|${sc.qos}|${sc.size}`] = await fanIn(running[i], { auth: s.auth, ...sc });
    }
  }
} finally {
  await Promise.all(running.map((r) => r.stop()));
}

if (servers.length > 0) {
  console.log('#### Broker fan-in: 100 publishers → 1 subscriber (MQTT.js load generator, loopback)\n');
  console.log(
    `Closed loop, ${WINDOW} messages in flight end to end, ${MEASURE_MS} ms measured after ${WARMUP_MS} ms warm-up.\n`,
  );
  console.log('| broker | QoS | payload | msgs/s | broker CPU µs/msg | broker cores | generator cores |');
  console.log('|---|---|---|---|---|---|---|');
  for (const s of servers) {
    for (const sc of scenarios) {
      const r = results[`${s.name}|${sc.qos}|${sc.size}`];
      console.log(
        `| ${s.name} | ${sc.qos} | ${sc.size} B | ${fmt(r.rate)} | ${fmt(r.cpuUsPerMsg, 1)} | ${fmt(r.brokerCores, 2)} | ${fmt(r.genCores, 2)} |`,
      );
    }
  }
  console.log('\nRatios (machine-independent):\n');
  console.log(
    '| QoS | payload | ours / bare Aedes (throughput) | ours / bare (CPU per msg) | bare Aedes / Mosquitto (throughput) |',
  );
  console.log('|---|---|---|---|---|');
  for (const sc of scenarios) {
    const o = results[`${servers[0].name}|${sc.qos}|${sc.size}`];
    const b = results[`${servers[1].name}|${sc.qos}|${sc.size}`];
    const mosquitto = servers.find((s) => s.name.startsWith('Mosquitto'));
    const m = mosquitto ? results[`${mosquitto.name}|${sc.qos}|${sc.size}`] : undefined;
    console.log(
      `| ${sc.qos} | ${sc.size} B | ${fmt(o.rate / b.rate, 2)} | ${fmt(o.cpuUsPerMsg / b.cpuUsPerMsg, 2)} | ${m ? fmt(b.rate / m.rate, 2) : '—'} |`,
    );
  }
  if (BASELINE_CLI) {
    console.log(`\nThis build against the baseline (${BASELINE_CLI}), same run:\n`);
    console.log('| QoS | payload | this / baseline (throughput) | this / baseline (CPU per msg) |');
    console.log('|---|---|---|---|');
    for (const sc of scenarios) {
      const o = results[`${servers[0].name}|${sc.qos}|${sc.size}`];
      const base = results[`ours (baseline)|${sc.qos}|${sc.size}`];
      console.log(
        `| ${sc.qos} | ${sc.size} B | ${fmt(o.rate / base.rate, 2)} | ${fmt(o.cpuUsPerMsg / base.cpuUsPerMsg, 2)} |`,
      );
    }
  }
}

// The per-message work of the broker's own code, measured in-process without sockets
// (deterministic where the end-to-end figures above are at the mercy of the machine's load): the
// publisher's authorizePublish (cache hit) and inbound frame scan, the subscriber's
// authorizeForward, the QoS 1 PUBLISH written through the outbound router with the in-flight window
// (as Aedes writes it: mqtt-packet's writeToStream, six writes) and its PUBACK read back. With
// GZ_BENCH_BASELINE the same work through the baseline build's modules, side by side.
async function hotPath(m) {
  const packet = {
    cmd: 'publish',
    topic: 'gz/v1/bench/gw-001/dev/data',
    qos: 1,
    messageId: 7,
    payload: Buffer.alloc(200),
    retain: false,
    dup: false,
  };
  const wire = mqttPacket.generate(packet);
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => wire));
  const acks = Buffer.concat(
    Array.from({ length: 64 }, (_, i) => mqttPacket.generate({ cmd: 'puback', messageId: i + 1 })),
  );
  const cb = () => {};
  const ROUNDS = 5_000;
  let ns = 0;
  for (let w = 0; w < 2; w++) {
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < ROUNDS; r++) {
      m.scanIn(chunk);
      for (let i = 0; i < 64; i++) {
        m.authorizePublish(packet, cb);
        m.authorizeForward(packet);
        packet.messageId = i + 1;
        mqttPacket.writeToStream(packet, m.out);
      }
      m.readAcks(acks);
    }
    ns = Number(process.hrtime.bigint() - t0) / (ROUNDS * 64);
  }
  return ns;
}

const silent = pino({ level: 'silent' });
const gatewayId = { role: 'gateway', user: 'gw-001', district: 'bench', gateway: 'gw-001' };
const ingestId = { role: 'ingest', user: 'ingest' };
const sink = { write: () => true, cork() {}, uncork() {}, writable: () => true };

/** This build: the ACL hooks, InboundFrames, OutboundRouter + OutboundWindow. */
async function thisBuild() {
  const { createAclHooks } = await import('../dist/auth/acl-hooks.js');
  const { SecurityLog } = await import('../dist/security/security-log.js');
  const { GatewayLimits } = await import('../dist/security/gateway-limits.js');
  const { OutboundRouter } = await import('../dist/connection/outbound.js');
  const { OutboundWindow } = await import('../dist/connection/outbound-window.js');
  const { systemClock } = await import('@ganzhi/runtime');
  const states = new WeakMap();
  const hooks = createAclHooks(
    {
      metrics: new BrokerMetrics(),
      security: new SecurityLog(silent, systemClock),
      gatewayLimits: new GatewayLimits({ maxDevices: 1000, maxRetained: 2001 }),
      forgetSubscription: () => {},
    },
    states,
  );
  const pub = { id: 'gz-bench-gw-001' };
  const sub = { id: 'ganzhi-ingest-bench' };
  for (const [c, id] of [
    [pub, gatewayId],
    [sub, ingestId],
  ]) {
    const st = newClientState('127.0.0.1', 'tcp', 0);
    st.identity = id;
    states.set(c, st);
  }
  const inbound = new InboundFrames(1 << 20);
  const window = new OutboundWindow({ maxInflight: 1 << 20, maxWaiting: 0, onDrop() {} });
  window.attach(sink);
  const router = new OutboundRouter(() => true, window, undefined);
  const subIn = new InboundFrames(1 << 20, window);
  return {
    scanIn: (c) => inbound.scan(c),
    authorizePublish: (p, cb) => hooks.authorizePublish(pub, p, cb),
    authorizeForward: (p) => hooks.authorizeForward(sub, p),
    out: { write: (c) => router.write(c) },
    readAcks: (c) => subIn.scan(c),
  };
}

/** The baseline build (GZ_BENCH_BASELINE): its hooks, FrameScanner, OutboundWindow. */
async function baselineBuild() {
  const base = await import(join(process.env.GZ_BENCH_BASELINE, 'index.js'));
  const states = new WeakMap();
  const hooks = base.createHooks(
    {
      credentials: undefined,
      allowAnonymous: false,
      metrics: new base.BrokerMetrics(),
      logger: silent,
      connectLimiter: undefined,
      certificateIdentity: false,
      now: () => 0,
    },
    states,
  );
  const pub = { id: 'gz-bench-gw-001' };
  const sub = { id: 'ganzhi-ingest-bench' };
  for (const [c, id] of [
    [pub, gatewayId],
    [sub, ingestId],
  ]) {
    const st = base.newClientState('127.0.0.1', 'tcp', 0);
    st.identity = id;
    states.set(c, st);
  }
  const scanner = new base.FrameScanner(1 << 20);
  const window = new base.OutboundWindow(sink, { maxInflight: 1 << 20, maxWaiting: 0, onDrop() {} });
  return {
    scanIn: (c) => scanner.scan(c),
    authorizePublish: (p, cb) => hooks.authorizePublish(pub, p, cb),
    authorizeForward: (p) => hooks.authorizeForward(sub, p),
    out: { write: (c) => window.write(c) },
    readAcks: (c) => window.read(c),
  };
}

{
  const bare = results['bare Aedes|1|200'];
  // alternating rounds, medians: warm-up and background load hit both builds alike
  const impls = [await thisBuild(), ...(process.env.GZ_BENCH_BASELINE ? [await baselineBuild()] : [])];
  const runs = impls.map(() => []);
  for (let round = 0; round < 7; round++) {
    for (let i = 0; i < impls.length; i++) runs[i].push(await hotPath(impls[i]));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const now = median(runs[0]);
  console.log(
    `\nThe broker's own per-message work in isolation (authorizePublish cache hit, inbound frame scan, authorizeForward, the QoS 1 PUBLISH written through the outbound window as Aedes writes it, its PUBACK read back; median of 7): ${fmt(now, 0)} ns` +
      (bare
        ? ` = ${fmt((100 * now) / (bare.cpuUsPerMsg * 1000), 1)}% of bare Aedes' CPU per QoS 1 200 B message in this run.`
        : '.'),
  );
  if (runs[1]) {
    const base = median(runs[1]);
    console.log(
      `Same work through the baseline build: ${fmt(base, 0)} ns (this / baseline ${fmt(now / base, 2)}).`,
    );
  }
}
