// DL/T 645 on one RS-485 bus at 2400 bit/s 8E1: meters read per second by the agent versus
// the line's theoretical maximum. Imports the built ../dist (run `npx tsc -b` first).
//
// The line: a pty has no baud rate, so the bench puts a pacing relay between two socat pty
// pairs — agent ⇄ pty pair 1 ⇄ relay ⇄ pty pair 2 ⇄ simulated meter bus. The relay is the
// wire: one half-duplex timeline shared by both directions, each byte delivered 11 bit times
// (start + 8 data + parity + stop = 4.583 ms at 2400 bit/s) after the previous byte on the
// line finished, in the order the bytes were sent. Nothing else is counted as line time: the
// simulated meters answer at once (a real meter takes tens to hundreds of ms to turn around;
// not modelled here), so the theoretical maximum is pure wire time:
//   meters/s = 2400 / Σ over the meter's points of (request bytes + reply bytes) × 11
// with the request and reply frames as the codec builds them (FE preambles included).
// Every meter is polled as fast as the bus allows (poll interval far below the cycle time),
// several meters on the bus so the bus, not one meter's cycle, is the limit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BAUD = 2400;
const BITS_PER_BYTE = 11; // 8E1
const METERS = 6;
const WARMUP_MS = Number(process.env.GZ_BENCH_WARMUP_MS ?? 4000);
const WINDOW_MS = Number(process.env.GZ_BENCH_WINDOW_MS ?? 20_000);
const PROFILE = 'dlt645-single-phase-meter';

const { dlt645, ProfileRegistry, isDlt645Point } = await import('@ganzhi/device-profiles');
const { SimDevice, startDlt645SerialBus, encodeDlt645 } = await import('@ganzhi/simulators');
const { systemClock } = await import('@ganzhi/runtime');
const { Agent, MemorySink, parseConfig } = await import('../dist/index.js');
const { SerialPort } = await import('serialport');
const { startPtyPair } = await import('../../test-support/peers-start.mjs');
const pino = (await import('pino')).default;

const byteMs = (BITS_PER_BYTE * 1000) / BAUD;

/** The wire: one half-duplex line, bytes delivered at the line's pace in the order sent. */
class Wire {
  free = 0;
  queue = [];
  timer = undefined;
  bytes = 0;
  send(chunk, to) {
    const now = performance.now();
    for (const b of chunk) {
      this.free = Math.max(now, this.free) + byteMs;
      this.queue.push({ due: this.free, b, to });
    }
    this.bytes += chunk.length;
    this.pump();
  }
  pump() {
    if (this.timer) return;
    const now = performance.now();
    let i = 0;
    while (i < this.queue.length && this.queue[i].due <= now) i++;
    if (i > 0) {
      const out = this.queue.splice(0, i);
      // consecutive bytes to the same end go out together
      let k = 0;
      while (k < out.length) {
        let j = k;
        while (j < out.length && out[j].to === out[k].to) j++;
        out[k].to.write(Buffer.from(out.slice(k, j).map((x) => x.b)));
        k = j;
      }
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.pump();
        },
        Math.max(0, this.queue[0].due - performance.now()),
      );
    }
  }
}

function openPort(path) {
  const p = new SerialPort({ path, baudRate: BAUD, parity: 'even', autoOpen: false });
  return new Promise((res, rej) => p.open((e) => (e ? rej(e) : res(p))));
}

const registry = ProfileRegistry.builtin();
const profile = registry.require(PROFILE);
const points = profile.points.filter(isDlt645Point);

/** Wire bits of one meter read (every point once) with `preamble` FE bytes before each request. */
function bitsPerMeterRead(preamble, sample) {
  let bytes = 0;
  for (const p of points) {
    const value = encodeDlt645(p, sample[p.name] ?? 0);
    bytes += dlt645.readDataRequest('000000000001', p.dlt645.dataId, { preamble }).length;
    bytes += dlt645.readDataReply('000000000001', p.dlt645.dataId, value, { preamble: 4 }).length;
  }
  return { bytes, bits: bytes * BITS_PER_BYTE };
}

async function run(preamble) {
  const dir = mkdtempSync(join(tmpdir(), 'ganzhi-bench-dlt-'));
  const agentSide = await startPtyPair('socat', dir, { a: 'agentA', b: 'agentB', name: 'socat-agent' });
  const meterSide = await startPtyPair('socat', dir, { a: 'meterA', b: 'meterB', name: 'socat-meter' });
  const sims = Array.from(
    { length: METERS },
    (_, i) => new SimDevice({ id: `m${i}`, profile, clock: systemClock, seed: 100 + i }),
  );
  const bus = await startDlt645SerialBus({
    path: meterSide.b,
    meters: sims.map((device, i) => ({ address: `00000000000${i + 1}`, device })),
  });
  const wire = new Wire();
  const relayAgent = await openPort(agentSide.b);
  const relayMeter = await openPort(meterSide.a);
  relayAgent.on('data', (c) => wire.send(c, relayMeter));
  relayMeter.on('data', (c) => wire.send(c, relayAgent));

  const text = [
    'gateway: bench',
    'district: bench',
    'devices:',
    ...sims.map(
      (_, i) =>
        `  - { id: m${i}, profile: ${PROFILE}, endpoint: "dlt645://${agentSide.a}?baud=${BAUD}", pollIntervalMs: 50, timeoutMs: 1000, retries: 0, dlt645: { address: "00000000000${i + 1}", preamble: ${preamble} } }`,
    ),
  ].join('\n');
  const cfg = parseConfig(text, join(dir, 'gw.yaml'), { env: {} });
  if (cfg.problems.length > 0) throw new Error(JSON.stringify(cfg.problems));
  const sink = new MemorySink();
  const agent = await Agent.create({ devices: cfg.devices, sink, logger: pino({ level: 'silent' }) });
  await agent.start();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const from = Date.now();
  const bytesFrom = wire.bytes;
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const to = Date.now();
  const wireBytes = wire.bytes - bytesFrom;
  await agent.stop();
  const readings = sink.batches.flatMap((b) => b.readings).filter((r) => r.ts >= from && r.ts < to);
  const good = readings.filter((r) => r.quality === 'good').length;
  const bad = readings.length - good;
  const requests = agent.devices.reduce((n, d) => n + d.driver.status().counters.requests, 0);
  const timeouts = agent.devices.reduce((n, d) => n + d.driver.status().counters.timeouts, 0);
  const sample = Object.fromEntries(points.map((p) => [p.name, sims[0].truth()[p.name]?.last?.value ?? 0]));
  await relayAgent.close();
  await relayMeter.close();
  await bus.close();
  await agentSide.proc.stop(1000);
  await meterSide.proc.stop(1000);
  rmSync(dir, { recursive: true, force: true });
  const secs = (to - from) / 1000;
  const { bytes, bits } = bitsPerMeterRead(preamble, sample);
  return {
    preamble,
    pointsPerSec: good / secs,
    metersPerSec: good / points.length / secs,
    maxMetersPerSec: BAUD / bits,
    bytesPerRead: bytes,
    wireUse: (wireBytes * byteMs) / (to - from),
    bad,
    requests,
    timeouts,
  };
}

const results = [];
for (const preamble of [4, 0]) results.push(await run(preamble));

const f = (x, d = 2) => x.toFixed(d);
console.log(`#### DL/T 645-2007 on one 2400 bit/s 8E1 bus (${METERS} ${PROFILE} meters, ${points.length} data identifiers each, ${WINDOW_MS / 1000} s)
`);
console.log(
  '| master FE preamble | wire bytes per meter read (requests + replies) | theoretical max meters/s | measured meters/s | measured points/s | % of max | line busy (relay) | bad readings |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.preamble} | ${r.bytesPerRead} | ${f(r.maxMetersPerSec)} | ${f(r.metersPerSec)} | ${f(r.pointsPerSec, 1)} | ${f((100 * r.metersPerSec) / r.maxMetersPerSec, 1)} % | ${f(100 * r.wireUse, 1)} % | ${r.bad} |`,
  );
}
console.log(`
How: agent (serialport on a socat pty) ⇄ pacing relay ⇄ pty ⇄ simulated bus (simulators/src/dlt645). The
relay delivers each byte ${f(byteMs, 3)} ms (11 bits at ${BAUD} bit/s) after the previous one on the
line, both directions on one half-duplex timeline. The meters answer with 4 FE bytes and no turnaround
delay, so the maximum is wire time only: ${BAUD} / (bytes per meter read × 11). A real meter's
turnaround (tens to hundreds of ms, not modelled here) adds ${points.length} × that per meter read: at 50 ms
it alone would cap a bus at ${f(1000 / (points.length * 50), 0)} meter reads/s before any byte is sent. Reads are one data identifier per
request; block reads (DI with FF, e.g. 0201FF00 for the three voltages) are not used.`);
