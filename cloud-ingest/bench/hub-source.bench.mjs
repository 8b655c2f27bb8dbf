// The hub's bookkeeping cost: createMemoryHubSource().onBatch per data batch (device and
// gateway maps, completeness, points/s, a ring per point) against decoding the same batch
// with the contract decoder (the work the ingest does anyway) — the ratio is the hub's
// overhead on the receive path. Also: building the overview for a city, a chart query on a
// full ring, and the heap the rings take at their default bound.
import { decodeDataBatch, encodeDataBatch } from '@ganzhi/device-profiles';
import { buildOverview, createMemoryHubSource } from '../dist/hub/index.js';

const GATEWAYS = 20; // 20 × 10 devices × 25 points = 5000 points = the default ring bound
const DEVICES_PER_GW = 10;
const POINTS = 25;
const BATCHES = 40_000;
const T0 = Date.now() - 3_600_000;

function batchFor(i, devicesPerGw = DEVICES_PER_GW) {
  const g = i % GATEWAYS;
  const d = Math.floor(i / GATEWAYS) % devicesPerGw;
  const ts = T0 + i * 10;
  return {
    v: 1,
    district: g % 2 ? 'dongcheng' : 'xicheng',
    gateway: `gw-${g}`,
    device: `dev-${d}`,
    model: 'eastron-sdm630',
    measurement: 'energy_meter',
    stream: `s-${g}`,
    seq: Math.floor(i / GATEWAYS),
    sent: ts,
    readings: Array.from({ length: POINTS }, (_, p) => ({
      point: `p${p}`,
      value: 230 + p + (i % 7),
      ts,
      quality: 'good',
    })),
  };
}

const payloads = Array.from({ length: 2000 }, (_, i) => encodeDataBatch(batchFor(i)));
const decoded = payloads.map((p) => decodeDataBatch(p).value);

function time(fn, n) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t) / 1e6;
}

// warm-up
time((i) => decodeDataBatch(payloads[i % payloads.length]), 4000);
const warm = createMemoryHubSource();
time((i) => warm.onBatch(decoded[i % decoded.length], { ...decoded[i % decoded.length], seq: i }), 4000);

const decodeMs = time((i) => decodeDataBatch(payloads[i % payloads.length]), BATCHES);
let clock = T0;
const hub = createMemoryHubSource({ now: () => clock });
const hubMs = time((i) => {
  clock = T0 + i * 10;
  const b = decoded[i % decoded.length];
  hub.onBatch(b, { ...b, seq: Math.floor(i / GATEWAYS) });
}, BATCHES);

// a city with 10× more points than the ring bound: rings are reused device by device
const big = Array.from({ length: 4000 }, (_, i) => batchFor(i, DEVICES_PER_GW * 10));
const thrash = createMemoryHubSource({ now: () => clock });
const thrashMs = time((i) => {
  clock = T0 + i * 10;
  const b = big[i % big.length];
  thrash.onBatch(b, { ...b, seq: Math.floor(i / GATEWAYS) });
}, BATCHES);

const overviewRuns = 50;
const overviewMs = time(() => buildOverview(hub, 3_600_000), overviewRuns) / overviewRuns;
const q = {
  measurement: 'energy_meter',
  district: 'xicheng',
  gateway: 'gw-0',
  device: 'dev-0',
  point: 'p0',
  from: 0,
  to: Date.now() * 2,
};
const one = createMemoryHubSource({ now: () => clock });
for (let i = 0; i < 300; i++)
  one.onBatch(decoded[0], {
    ...decoded[0],
    seq: i,
    readings: [{ point: 'p0', value: i, ts: T0 + i * 1000, quality: 'good' }],
  });
const q1 = { ...q, district: decoded[0].district, gateway: decoded[0].gateway, device: decoded[0].device };
const seriesRuns = 2000;
const seriesMs = time(() => one.series(q1), seriesRuns) / seriesRuns;
const samples = one.series(q1).length;

// heap of full rings at the default bound (5000 points × 300 values)
globalThis.gc?.();
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const full = createMemoryHubSource({ now: () => clock });
for (let i = 0; i < 300; i++) {
  for (let dev = 0; dev < 200; dev++) {
    full.onBatch(
      { district: 'd', gateway: 'g', device: `dev-${dev}` },
      {
        ...decoded[0],
        district: 'd',
        gateway: 'g',
        device: `dev-${dev}`,
        seq: i * 200 + dev,
        readings: decoded[0].readings.map((r) => ({ ...r, ts: T0 + i })),
      },
    );
  }
}
globalThis.gc?.();
const ringMb = (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before) / 2 ** 20;
if (full.devices().length !== 200) throw new Error('bench: the source was not filled');

const perBatchDecode = (decodeMs * 1000) / BATCHES;
const perBatchHub = (hubMs * 1000) / BATCHES;
console.log(`## Hub source (cloud-ingest/src/hub)

${BATCHES} batches of ${POINTS} readings over ${GATEWAYS} gateways × ${DEVICES_PER_GW} devices (${GATEWAYS * DEVICES_PER_GW * POINTS} points charted).

| measure | figure |
| --- | --- |
| decodeDataBatch (contract decoder), per batch | ${perBatchDecode.toFixed(1)} µs |
| hub onBatch (maps, completeness, points/s, rings), per batch | ${perBatchHub.toFixed(1)} µs |
| hub onBatch, 50 000 points (10× the ring bound), per batch | ${((thrashMs * 1000) / BATCHES).toFixed(1)} µs |
| hub readings/s on one core | ${Math.round((BATCHES * POINTS) / (hubMs / 1000)).toLocaleString('en')} |
| overview of ${GATEWAYS} gateways / ${GATEWAYS * DEVICES_PER_GW} devices | ${overviewMs.toFixed(2)} ms |
| chart query on a full ring (${samples} samples) | ${(seriesMs * 1000).toFixed(0)} µs |
| heap of rings at the default bound (5000 points × 300 values) | ${ringMb.toFixed(1)} MB |

Ratio (machine-independent): hub bookkeeping / contract decode of the same batch = **${(perBatchHub / perBatchDecode).toFixed(2)}**.`);
