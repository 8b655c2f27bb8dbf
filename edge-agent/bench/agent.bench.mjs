// Edge agent: 100 Modbus TCP devices × 50 points polled at 1 Hz from the simulators, then
// the same devices polled as fast as they go. Reports requests per cycle versus the read
// planner's optimum (and versus one request per point), the agent's CPU and RSS, and
// decoded points/s at the maximum poll rate. The simulator runs in a child process so the
// agent's figures are its own. Imports the built ../dist/index.js (run `npx tsc -b` first).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DEVICES = 100;
const POINTS = 50;
const WARMUP_MS = 2000;
const WINDOW_MS = 10_000;
const MAX_RATE_MS = 8000;

/** 50 points: 30 float32 input registers, 10 uint16 and 10 int32 holding registers, with gaps. */
function benchProfile() {
  const points = [];
  for (let i = 0; i < 30; i++) {
    points.push({
      name: `f${i}`,
      unit: 'V',
      type: 'float',
      modbus: { table: 'input', address: i * 2 + (i >= 15 ? 20 : 0), type: 'float32' },
    });
  }
  for (let i = 0; i < 10; i++) {
    points.push({
      name: `u${i}`,
      unit: '1',
      type: 'integer',
      modbus: { table: 'holding', address: i, type: 'uint16' },
    });
  }
  for (let i = 0; i < 10; i++) {
    points.push({
      name: `l${i}`,
      unit: 'W',
      type: 'integer',
      modbus: { table: 'holding', address: 100 + i * 2, type: 'int32' },
    });
  }
  return {
    id: 'bench-meter',
    version: '1.0.0',
    manufacturer: 'Ganzhi',
    model: 'bench',
    description: `${POINTS} points`,
    source: { document: 'bench' },
    measurement: 'bench',
    protocol: 'modbus',
    modbus: { maxGap: 8 },
    points,
  };
}

// ---------------------------------------------------------------- child: the simulators
async function child() {
  const { parseScenario, Simulation } = await import('@ganzhi/simulators');
  const { ProfileRegistry } = await import('@ganzhi/device-profiles');
  const registry = ProfileRegistry.of([benchProfile()]);
  const text = `devices:\n  - id: m\n    profile: bench-meter\n    endpoint: { protocol: modbus-tcp, port: 0 }\n    repeat: { count: ${DEVICES}, perEndpoint: 1 }\n`;
  const { loaded, problems } = parseScenario(text, 'bench.yaml', { registry });
  if (!loaded) throw new Error(JSON.stringify(problems));
  const sim = await Simulation.start({ loaded, anyPort: true });
  const addresses = [...sim.devices.keys()].map((id) => sim.describe(id).address);
  process.send({ addresses });
  process.on('message', async (m) => {
    if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
    if (m === 'stop') {
      await sim.stop();
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------- parent: the agent
async function main() {
  const agentLib = await import('../dist/index.js');
  const { planReads } = await import('@ganzhi/device-profiles');
  const pino = (await import('pino')).default;
  const logger = pino({ level: 'silent' });
  const profile = benchProfile();

  const sim = fork(fileURLToPath(import.meta.url), ['child'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const { addresses } = await new Promise((resolve) => sim.once('message', resolve));
  const simCpu = () =>
    new Promise((resolve) => {
      sim.once('message', (m) => resolve(m.cpu));
      sim.send('cpu');
    });

  const optimum = planReads(profile.points, profile.modbus).length;
  let readings = 0;
  let good = 0;
  const sink = {
    write(batch) {
      readings += batch.readings.length;
      for (const r of batch.readings) if (r.quality === 'good') good++;
    },
    async close() {},
  };

  async function phase(pollIntervalMs, warmupMs, windowMs) {
    const devices = addresses.map((address, i) => ({
      protocol: 'modbus',
      id: `m-${i}`,
      profile,
      points: profile.points,
      endpoint: agentLib.parseEndpoint(`modbus-tcp://${address}`),
      unitId: 1,
      timeoutMs: 1000,
      retries: 1,
      pollIntervalMs,
      backoff: { failures: 3, initialMs: 5000, maxMs: 60_000 },
    }));
    const agent = await agentLib.Agent.create({ devices, sink, logger });
    await agent.start();
    await new Promise((r) => setTimeout(r, warmupMs));
    const req0 = agent.devices.reduce((n, d) => n + d.driver.status().counters.requests, 0);
    const cyc0 = agent.devices.reduce((n, d) => n + d.driver.status().counters.cycles, 0);
    const [r0, g0] = [readings, good];
    const cpu0 = process.cpuUsage();
    const scpu0 = await simCpu();
    const t0 = performance.now();
    let rssMax = 0;
    const rssTimer = setInterval(() => {
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }, 250);
    await new Promise((r) => setTimeout(r, windowMs));
    clearInterval(rssTimer);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const scpu1 = await simCpu();
    const req = agent.devices.reduce((n, d) => n + d.driver.status().counters.requests, 0) - req0;
    const cycles = agent.devices.reduce((n, d) => n + d.driver.status().counters.cycles, 0) - cyc0;
    const overruns = agent.devices.reduce((n, d) => n + d.scheduler.stats.overruns, 0);
    await agent.stop();
    return {
      requestsPerCycle: req / cycles,
      cycles,
      points: readings - r0,
      good: good - g0,
      pointsPerSec: ((readings - r0) / wall) * 1000,
      cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
      simCpuPct: ((scpu1.user + scpu1.system - scpu0.user - scpu0.system) / 1000 / wall) * 100,
      rssMb: rssMax / 2 ** 20,
      overruns,
    };
  }

  global.gc?.();
  const slow = await phase(1000, WARMUP_MS, WINDOW_MS);
  // 1 ms interval (below the config minimum of 10): every device polls back to back
  const fast = await phase(1, 1000, MAX_RATE_MS);
  sim.send('stop');
  await new Promise((r) => sim.once('exit', r));

  const f = (x, d = 1) => x.toFixed(d);
  console.log(`#### Edge agent — ${DEVICES} Modbus TCP devices × ${POINTS} points (simulators in a child process)

| phase | requests / cycle | planner optimum | 1 request / point | cycles | points/s | good | agent CPU (% of a core) | agent RSS (MB) | simulator CPU (%) |
|---|---|---|---|---|---|---|---|---|---|
| 1 Hz, ${WINDOW_MS / 1000} s | ${f(slow.requestsPerCycle, 2)} | ${optimum} | ${POINTS} | ${slow.cycles} | ${f(slow.pointsPerSec, 0)} | ${f((slow.good / Math.max(1, slow.points)) * 100)} % | ${f(slow.cpuPct)} | ${f(slow.rssMb, 0)} | ${f(slow.simCpuPct)} |
| max rate, ${MAX_RATE_MS / 1000} s | ${f(fast.requestsPerCycle, 2)} | ${optimum} | ${POINTS} | ${fast.cycles} | ${f(fast.pointsPerSec, 0)} | ${f((fast.good / Math.max(1, fast.points)) * 100)} % | ${f(fast.cpuPct)} | ${f(fast.rssMb, 0)} | ${f(fast.simCpuPct)} |

Ratios (machine-independent): requests per cycle / planner optimum = ${f(slow.requestsPerCycle / optimum, 2)};
requests saved by the planner versus one read per point = ${f(POINTS / optimum, 1)}×;
points delivered at 1 Hz / points expected (${DEVICES * POINTS}/s) = ${f(slow.pointsPerSec / (DEVICES * POINTS), 3)};
agent CPU per 1000 points/s at 1 Hz = ${f((slow.cpuPct / slow.pointsPerSec) * 1000, 2)} % of a core;
max-rate points/s / 1 Hz points/s = ${f(fast.pointsPerSec / slow.pointsPerSec, 1)}×.
`);
}

if (process.argv[2] === 'child') await child();
else await main();
