// The constrained box of issue 19: the agent and Node-RED each limited to a quarter of a core
// and 256 MB, side by side (agent-vs-nodered.bench.mjs, one run per load), stepping the load
// (devices × 50 float32 at 1 Hz) up until a side no longer holds it. A side holds a load when
// it delivers ≥ 99 % of the expected readings in the window; the agent must also have no poll
// overruns (ganzhi_agent_poll_overruns_total from its /metrics; Node-RED has no such counter).
//
// Limits by hand, no systemd needed: cgroup v2 (cpu.max "25000 100000", memory.max 256M,
// memory.swap.max 0) when /sys/fs/cgroup is the unified hierarchy with cpu and memory
// enabled, else cgroup v1 (cpu.cfs_quota_us 25000 of cpu.cfs_period_us 100000,
// memory.limit_in_bytes 256M and memory.memsw.limit_in_bytes where swap accounting exists).
// One cgroup pair per side, made under /sys/fs/cgroup for the run and removed after; needs
// root. Per run the cgroups' own figures are reported too: CPU throttled periods, peak
// memory, OOM kills, so it shows whether the quota or the machine was the limit.
//
// Env: GZ_CONSTRAINED_DEVICES (default "100,200,300,400,600"; each a separate run, stops
// after the first load neither side holds), GZ_CONSTRAINED_CPU_PCT (default 25),
// GZ_CONSTRAINED_MEM_MB (default 256); GZ_BENCH_WARMUP_MS / GZ_BENCH_WINDOW_MS /
// GZ_BENCH_BOTH_NODE / GZ_BENCH_START_TIMEOUT_MS pass through to agent-vs-nodered.bench.mjs.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), 'agent-vs-nodered.bench.mjs');
const STEPS = (process.env.GZ_CONSTRAINED_DEVICES ?? '100,200,300,400,600').split(',').map(Number);
/** 'none': no CPU quota (the control run: memory limit only, same machine) */
const CPU_PCT =
  process.env.GZ_CONSTRAINED_CPU_PCT === 'none'
    ? undefined
    : Number(process.env.GZ_CONSTRAINED_CPU_PCT ?? 25);
const MEM_MB = Number(process.env.GZ_CONSTRAINED_MEM_MB ?? 256);
const HOLD = 0.99;
const ROOT = '/sys/fs/cgroup';

/** Which cgroup hierarchy can limit CPU and memory here: 'v2', 'v1', or why neither. */
function cgroupMode() {
  if (existsSync(join(ROOT, 'cgroup.controllers'))) {
    const have = readFileSync(join(ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (have.includes('cpu') && have.includes('memory')) return 'v2';
    return `cgroup v2 without the cpu and memory controllers (has: ${have.join(' ')})`;
  }
  if (
    existsSync(join(ROOT, 'cpu', 'cpu.cfs_quota_us')) &&
    existsSync(join(ROOT, 'memory', 'memory.limit_in_bytes'))
  )
    return 'v1';
  return `no cgroup v2 with cpu+memory and no cgroup v1 cpu/memory under ${ROOT}`;
}

/** Makes one side's cgroups; returns the directories (for GZ_BENCH_CGROUP_*) and readers. */
function makeCgroups(mode, name) {
  const mem = MEM_MB * 2 ** 20;
  if (mode === 'v2') {
    const control = join(ROOT, 'cgroup.subtree_control');
    if (!/\bcpu\b/.test(readFileSync(control, 'utf8')) || !/\bmemory\b/.test(readFileSync(control, 'utf8')))
      writeFileSync(control, '+cpu +memory');
    const dir = join(ROOT, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.max'), CPU_PCT === undefined ? 'max 100000' : `${CPU_PCT * 1000} 100000`);
    writeFileSync(join(dir, 'memory.max'), String(mem));
    if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
    return {
      dirs: [dir],
      stats: () => {
        const cpu = kv(readFileSync(join(dir, 'cpu.stat'), 'utf8'));
        const ev = kv(readFileSync(join(dir, 'memory.events'), 'utf8'));
        const peakFile = join(dir, 'memory.peak');
        return {
          periods: cpu.nr_periods,
          throttled: cpu.nr_throttled,
          throttledS: (cpu.throttled_usec ?? 0) / 1e6,
          peakMb: existsSync(peakFile) ? Number(readFileSync(peakFile, 'utf8')) / 2 ** 20 : undefined,
          oomKills: ev.oom_kill ?? 0,
        };
      },
      remove: () => rmdirSync(dir),
    };
  }
  const cpuDir = join(ROOT, 'cpu', name);
  const memDir = join(ROOT, 'memory', name);
  mkdirSync(cpuDir);
  mkdirSync(memDir);
  try {
    limitV1(cpuDir, memDir, mem);
  } catch (err) {
    rmdirSync(cpuDir);
    rmdirSync(memDir);
    throw err;
  }
  return {
    dirs: [cpuDir, memDir],

    stats: () => {
      const cpu = kv(readFileSync(join(cpuDir, 'cpu.stat'), 'utf8'));
      const oom = kv(readFileSync(join(memDir, 'memory.oom_control'), 'utf8'));
      return {
        periods: cpu.nr_periods,
        throttled: cpu.nr_throttled,
        throttledS: (cpu.throttled_time ?? 0) / 1e9,
        peakMb: Number(readFileSync(join(memDir, 'memory.max_usage_in_bytes'), 'utf8')) / 2 ** 20,
        oomKills: oom.oom_kill ?? 0,
      };
    },
    remove: () => {
      rmdirSync(cpuDir);
      rmdirSync(memDir);
    },
  };
}

function limitV1(cpuDir, memDir, mem) {
  writeFileSync(join(cpuDir, 'cpu.cfs_period_us'), '100000');
  writeFileSync(join(cpuDir, 'cpu.cfs_quota_us'), CPU_PCT === undefined ? '-1' : String(CPU_PCT * 1000));
  writeFileSync(join(memDir, 'memory.limit_in_bytes'), String(mem));
  // no swap beyond the limit (the file exists only with swap accounting)
  if (existsSync(join(memDir, 'memory.memsw.limit_in_bytes')))
    writeFileSync(join(memDir, 'memory.memsw.limit_in_bytes'), String(mem));
}

function kv(text) {
  const out = {};
  for (const line of text.trim().split('\n')) {
    const [k, v] = line.split(/\s+/);
    if (k) out[k] = Number(v);
  }
  return out;
}

async function runStep(mode, devices, tmp) {
  const tag = `gz-constrained-${process.pid}-${devices}`;
  const agent = makeCgroups(mode, `${tag}-agent`);
  let red;
  try {
    red = makeCgroups(mode, `${tag}-red`);
  } catch (err) {
    agent.remove();
    throw err;
  }
  const out = join(tmp, `${devices}.json`);
  const load0 = loadavg();
  // the cgroups' counters every 500 ms, to take the bench's window out of them afterwards
  const samples = [];
  const sample = () => samples.push({ t: Date.now(), agent: agent.stats(), nodered: red.stats() });
  const timer = setInterval(sample, 500);
  try {
    sample();
    const child = spawn(process.execPath, ['--expose-gc', BENCH], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        GZ_BENCH_DEVICES: String(devices),
        GZ_BENCH_CGROUP_AGENT: agent.dirs.join(','),
        GZ_BENCH_CGROUP_RED: red.dirs.join(','),
        GZ_BENCH_JSON_OUT: out,
      },
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const status = await new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    clearInterval(timer);
    sample();
    const load1 = loadavg();
    const last = samples.at(-1);
    if (status !== 0 || !existsSync(out)) {
      const cg = `agent cgroup: ${JSON.stringify(last.agent)}; Node-RED cgroup: ${JSON.stringify(last.nodered)}`;
      return {
        devices,
        load0,
        load1,
        failed: `agent-vs-nodered exited ${status} (${cg}) ${stdout.slice(-300)}`,
      };
    }
    const res = JSON.parse(readFileSync(out, 'utf8'));
    // throttling within the bench's window: first sample at or after its start, last at or before its end
    const first = samples.find((x) => x.t >= res.windowStartMs) ?? samples[0];
    const end = samples.filter((x) => x.t <= res.windowEndMs).at(-1) ?? last;
    const inWindow = (side) => ({
      periods: end[side].periods - first[side].periods,
      throttled: end[side].throttled - first[side].throttled,
      throttledS: end[side].throttledS - first[side].throttledS,
    });
    return {
      devices,
      load0,
      load1,
      res,
      cg: {
        agent: { ...last.agent, window: inWindow('agent') },
        nodered: { ...last.nodered, window: inWindow('nodered') },
      },
    };
  } finally {
    clearInterval(timer);
    // the bench stopped its processes: the cgroups are empty again
    agent.remove();
    red.remove();
  }
}

function holds(side, x, expected) {
  if (!x) return false;
  // an agent whose overruns could not be read (NaN) does not hold
  return x.perSec >= HOLD * expected && (side !== 'agent' || x.overruns === 0);
}

async function main() {
  const mode = cgroupMode();
  if (mode !== 'v1' && mode !== 'v2') {
    console.log(`#### Constrained box: not measured — ${mode}`);
    return;
  }
  if (process.getuid?.() !== 0) {
    console.log('#### Constrained box: not measured — making cgroups needs root');
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'gz-constrained-'));
  const steps = [];
  try {
    for (const devices of STEPS) {
      console.error(`constrained: ${devices} devices × 50 points …`);
      const s = await runStep(mode, devices, tmp);
      steps.push(s);
      if (s.failed) {
        console.error(s.failed);
        break;
      }
      const exp = s.res.expected;
      if (!holds('agent', s.res.result.agent, exp) && !holds('nodered', s.res.result.nodered, exp)) break;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  report(mode, steps);
}

function report(mode, steps) {
  const f = (x, d = 1) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
  const la = (l) => l.map((x) => x.toFixed(1)).join(' ');
  const lines = [
    `#### Constrained box: agent and Node-RED each at ${CPU_PCT === undefined ? 'no CPU quota (control run)' : `${CPU_PCT} % of a core`} and ${MEM_MB} MB (cgroup ${mode}), side by side`,
    '',
    `Each row is one run of agent-vs-nodered.bench.mjs (both at the same time, same simulator and broker, which are not limited). Holds = ≥ ${HOLD * 100} % of the expected readings arrived in the window and, for the agent, 0 poll overruns. Throttled = CFS periods (100 ms) in which the cgroup used up its quota, of the periods in which it ran: in the bench's window, and over the whole run with start-up in brackets. cgroup peak = the most memory charged to the cgroup (file pages first read by another process, e.g. the node binary, are charged there, so it is below RSS). Load average 1/5/15 min before → after each run.`,
    '',
    '| devices × points | expected readings/s | side | CPU (% of a core) | RSS mean / max (MB) | cgroup peak (MB) | OOM kills | throttled periods in the window (whole run) | readings/s arrived | delivered / expected | agent poll overruns / cycles | holds | load average before → after |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const s of steps) {
    if (s.failed) {
      lines.push(
        `| ${s.devices} × 50 | ${s.devices * 50} | – | run failed: ${s.failed.replace(/\n/g, ' ').replace(/\|/g, '/')} | | | | | | | | | ${la(s.load0)} → ${la(s.load1)} |`,
      );
      continue;
    }
    const exp = s.res.expected;
    for (const side of ['agent', 'nodered']) {
      const x = s.res.result[side];
      const cg = s.cg[side];
      const label =
        side === 'agent'
          ? `ganzhi-agent (Node ${s.res.agentNodeVersion})`
          : `Node-RED ${s.res.nodeRedVersion ?? ''} (Node ${s.res.node22Version ?? '–'})`;
      if (!x) {
        lines.push(
          `| ${s.devices} × 50 | ${exp} | ${label} | not measured: ${s.res.nodeRedProblem ?? '?'} | | ${f(cg.peakMb, 0)} | ${cg.oomKills} | | | | | no | ${la(s.load0)} → ${la(s.load1)} |`,
        );
        continue;
      }
      lines.push(
        `| ${s.devices} × 50 | ${exp} | ${label} | ${f(x.cpuPct)} | ${f(x.rssMean, 0)} / ${f(x.rssMax, 0)} | ${f(cg.peakMb, 0)} | ${cg.oomKills} | ${cg.window.throttled} / ${cg.window.periods} (${cg.throttled} / ${cg.periods}) | ${f(x.perSec, 0)} | ${f(x.perSec / exp, 3)} | ${side === 'agent' ? `${x.overruns} / ${x.cycles}` : 'no counter'} | ${holds(side, x, exp) ? 'yes' : 'no'} | ${la(s.load0)} → ${la(s.load1)} |`,
      );
    }
  }
  const largest = (side) =>
    steps
      .filter((s) => !s.failed && holds(side, s.res.result[side], s.res.expected))
      .map((s) => s.devices * 50);
  const a = largest('agent');
  const n = largest('nodered');
  const ma = a.length ? Math.max(...a) : 0;
  const mn = n.length ? Math.max(...n) : 0;
  lines.push(
    '',
    `Largest load held (readings/s): ours ${ma || 'none'}, Node-RED ${mn || 'none'}${ma && mn ? ` (${f(ma / mn, 2)}×)` : ''}; loads tried ${steps.map((s) => s.devices * 50).join(', ')}.`,
  );
  for (const s of steps.filter((x) => !x.failed && x.res.result.nodered)) {
    const ag = s.res.result.agent;
    const nr = s.res.result.nodered;
    const per1k = (x) => (x.cpuPct / x.perSec) * 1000;
    lines.push(
      `${s.devices * 50}/s: CPU ${f(ag.cpuPct / nr.cpuPct, 2)}×, RSS ${f(ag.rssMean / nr.rssMean, 2)}×, readings arrived ${f(ag.perSec / nr.perSec, 3)}×, CPU per 1000 readings/s ${f(per1k(ag), 2)} % vs ${f(per1k(nr), 2)} % = ${f(per1k(ag) / per1k(nr), 2)}× (ours / Node-RED).`,
    );
  }
  console.log(lines.join('\n'));
}

await main();
