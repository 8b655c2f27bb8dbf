// The writer's per-message decode step on the CPU, in one process: log record → decode (the
// fast path) → the guard's screening (limits, model tag) → completeness, for the ingest
// bench's messages (50 readings, 20 gateways). With BENCH_BASELINE_DIST=<an older
// cloud-ingest/dist> (as for ingest.bench.mjs) the older build's same step runs alternately
// in the same process, so the two compare under the same machine load. CPU time per message
// (process.cpuUsage), median of DECODE_RUNS runs (default 15) of 12 000 messages.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deviceTopic, encodeDataBatch } from '@ganzhi/device-profiles';
import pino from 'pino';

const N = 12_000;
const GATEWAYS = 20;
const RUNS = Number(process.env.DECODE_RUNS ?? 15);
const T0 = 1_764_200_000_000;
const NOW = T0 + 10 * 86_400_000;

/** The decode step of a dist: the guard's path when it has one, else decodeRecord. */
async function stepOf(dist) {
  const at = (f) => import(pathToFileURL(resolve(dist, f)).href);
  const { encodeLogRecord, decodeLogRecord } = await at('pipeline/log-record.js');
  const dr = await at('pipeline/decode-record.js');
  const { CompletenessTracker } = await at('completeness/tracker.js');
  let make;
  if (existsSync(resolve(dist, 'guard/inbound-guard.js'))) {
    const { InboundGuard } = await at('guard/inbound-guard.js');
    const { GatewayLimits } = await at('guard/gateway-limits.js');
    const { EventLog } = await at('guard/event-log.js');
    const { ingestMetrics } = await at('metrics.js');
    const { ProfileRegistry } = await import('@ganzhi/device-profiles');
    const profiles = ProfileRegistry.builtin();
    make = () => {
      const guard = new InboundGuard({
        limits: new GatewayLimits(),
        events: new EventLog({ logger: pino({ level: 'silent' }), clock: { now: Date.now } }),
        metrics: ingestMetrics(),
        knownModel: (id) => profiles.has(id),
      });
      return (raw) => {
        const rec = decodeLogRecord(raw);
        return guard.screen(
          dr.decodeMessage(rec.topic, rec.payload, NOW, guard.decode),
          rec.topic,
          rec.payload,
        );
      };
    };
  } else make = () => (raw) => dr.decodeRecord(raw, NOW);
  return { encodeLogRecord, CompletenessTracker, make };
}

const cur = await stepOf(new URL('../dist/', import.meta.url).pathname);
const base = process.env.BENCH_BASELINE_DIST ? await stepOf(process.env.BENCH_BASELINE_DIST) : undefined;

const records = Array.from({ length: N }, (_, i) => {
  const g = i % GATEWAYS;
  const seq = Math.floor(i / GATEWAYS);
  const readings = [];
  for (let t = 0; t < 5; t++)
    for (let p = 0; p < 10; p++)
      readings.push({
        point: `p${p}`,
        value: (seq * 7 + p) / 10,
        ts: T0 + seq * 5000 + t * 1000,
        quality: 'good',
        unit: 'kW',
      });
  const b = {
    v: 1,
    district: `d${g % 4}`,
    gateway: `gw-${g}`,
    device: 'meter-1',
    model: 'eastron-sdm630',
    measurement: 'bench_meter',
    stream: `s${g}`,
    seq,
    sent: T0,
    readings,
  };
  return cur.encodeLogRecord(deviceTopic(b.district, b.gateway, b.device, 'data'), encodeDataBatch(b));
});

function run(step) {
  const decode = step.make();
  const tracker = new step.CompletenessTracker();
  const t0 = process.cpuUsage();
  let lines = 0;
  for (const r of records) {
    const o = decode(r);
    lines += o.lines.length;
    if (o.seq) tracker.observe(o.seq.district, o.seq.gateway, o.seq.stream, o.seq.seq, NOW);
  }
  const u = process.cpuUsage(t0);
  if (lines !== N * 5) throw new Error(`expected ${N * 5} lines, got ${lines}`);
  return (u.user + u.system) / N;
}

for (let w = 0; w < 3; w++) {
  run(cur);
  if (base) run(base);
}
const a = [];
const b = [];
for (let i = 0; i < RUNS; i++) {
  if (base) b.push(run(base));
  a.push(run(cur));
}
const med = (x) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
const fmt = (x) => x.map((v) => v.toFixed(1)).join(', ');
console.log(`### cloud-ingest: the writer's decode step, CPU per message

${N.toLocaleString('en')} data batches of 50 readings (the ingest bench's), each: log record → fast-path decode → ${base ? "(this build) the guard's screening → " : "the guard's screening → "}completeness; process.cpuUsage, ${RUNS} runs${base ? ' alternating with the baseline dist' : ''}.

| build | µs per message, median | runs |
|---|---:|---|
${base ? `| baseline dist | ${med(b).toFixed(1)} | ${fmt(b)} |\n` : ''}| this build | ${med(a).toFixed(1)} | ${fmt(a)} |
${base ? `\nRatio baseline ÷ this build: ${(med(b) / med(a)).toFixed(2)}×.` : ''}`);
