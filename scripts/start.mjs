#!/usr/bin/env node
// npm start — the whole Ganzhi stack on one machine, on embedded defaults:
//   broker (anonymous, loopback only) ← one edge agent per gateway ← the demo-city simulators
//   broker → ingest → SQLite file under ./data/ (or InfluxDB when INFLUX_* is set)
// Each component is its real command in a child process; their logs go to ./data/logs/
// (or to this terminal with --verbose). One Ctrl-C stops everything cleanly.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configHash } from '@ganzhi/device-profiles/contract';
import { hashPassword } from '@ganzhi/runtime';
import { agentDeviceOf, loadScenarioFile } from '@ganzhi/simulators';

const root = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    verbose: { type: 'boolean', default: false },
    data: { type: 'string', default: 'data' },
    scenario: { type: 'string', default: join(root, 'simulators/scenarios/demo-city.yaml') },
    // one gateway speaks Sparkplug B instead of the contract; the ingest is its host (issue 18)
    sparkplug: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`usage: npm start [-- --verbose] [-- --data DIR] [-- --scenario FILE] [-- --sparkplug GATEWAY]

  --sparkplug GATEWAY  that gateway publishes Sparkplug B (group = its district, node = its id)
                       and the ingest runs as the primary host "ganzhi-hub" (docs/sparkplug.md)

Environment:
  GANZHI_MQTT_PORT     broker port (default 1883)
  GANZHI_HTTP_BASE     first HTTP port: broker metrics, ingest + hub page, agents' status pages (default 18800)
  INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET           write to InfluxDB 2.x/3.x instead of SQLite
  INFLUX_V1_URL, INFLUX_DB, INFLUX_USER, INFLUX_PASSWORD         write to InfluxDB 1.x instead of SQLite`);
  process.exit(0);
}

const dataDir = resolve(args.data);
const logDir = join(dataDir, 'logs');
const agentDir = join(dataDir, 'agents');
mkdirSync(logDir, { recursive: true });
mkdirSync(agentDir, { recursive: true });

const mqttPort = Number(process.env.GANZHI_MQTT_PORT ?? 1883);
const httpBase = Number(process.env.GANZHI_HTTP_BASE ?? 18800);
const ports = { brokerHttp: httpBase, ingestHttp: httpBase + 1, firstAgent: httpBase + 10 };
const brokerUrl = `mqtt://127.0.0.1:${mqttPort}`;
const influx = process.env.INFLUX_URL
  ? `InfluxDB ${process.env.INFLUX_URL} (org ${process.env.INFLUX_ORG}, bucket ${process.env.INFLUX_BUCKET})`
  : process.env.INFLUX_V1_URL
    ? `InfluxDB 1.x ${process.env.INFLUX_V1_URL} (database ${process.env.INFLUX_DB})`
    : undefined;
const sqliteFile = join(dataDir, 'ingest', 'ingest.db');

// ---------------------------------------------------------------- child processes
const children = [];
let stopping = false;

function bin(ws, cli) {
  const file = join(root, ws, 'dist', cli);
  if (!existsSync(file)) {
    console.error(`${ws} is not built: run \`npx tsc -b\` (npm install and npm start do it)`);
    process.exit(1);
  }
  return file;
}

function start(name, file, argv, env = {}) {
  // own process group: Ctrl-C reaches only this script, which then stops the components in
  // order (agents flush to the broker before the broker goes)
  const child = spawn(process.execPath, [file, ...argv], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const lines = [];
  const onData = (d) => {
    log.write(d);
    const text = d.toString();
    lines.push(...text.split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
    if (args.verbose) for (const l of text.split('\n').filter(Boolean)) console.log(`[${name}] ${l}`);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const entry = { name, child, lines, exited, log };
  exited.then(({ code, signal }) => {
    log.end();
    if (!stopping) {
      console.error(
        `\n${name} exited unexpectedly (${signal ?? `code ${code}`}); last lines of data/logs/${name}.log:`,
      );
      for (const l of lines.slice(-15)) console.error(`  ${l}`);
      shutdown(1);
    }
  });
  children.push(entry);
  return entry;
}

async function until(what, probe, ms = 60_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (stopping) throw new Error('stopping');
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

const portOpen = (port) =>
  new Promise((resolvePort) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolvePort(true);
    });
    s.once('error', () => resolvePort(false));
  });

async function getJson(url) {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

// ---------------------------------------------------------------- agent configs from the scenario
/**
 * True when the agent's config file is one the hub pushed and the agent applied (the agent
 * writes a pushed document as plain JSON, and its fleet record holds that document's hash): the
 * gateway runs what the hub says, so a restart of the demo keeps it rather than putting the
 * generated one back under the hub's feet.
 */
function pushedAndApplied(file, generated) {
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const record = JSON.parse(readFileSync(join(agentDir, generated.stateDir, 'fleet.json'), 'utf8'));
    return (
      doc.gateway === generated.gateway &&
      doc.district === generated.district &&
      record.appliedVersion > 0 &&
      record.appliedHash === configHash(doc)
    );
  } catch {
    return false; // no file, a generated one (YAML with its header), or no fleet record yet
  }
}

function agentConfigs(scenarioFile) {
  const loaded = loadScenarioFile(scenarioFile);
  const gateways = new Map();
  for (const d of loaded.devices) {
    if (!d.gateway || !d.district) continue;
    const key = `${d.district}/${d.gateway}`;
    if (!gateways.has(key))
      gateways.set(key, { district: d.district, gateway: d.gateway, devices: [], env: {} });
    const { device, env } = agentDeviceOf(d, `${d.endpoint.host ?? '127.0.0.1'}:${d.endpoint.port}`);
    gateways.get(key).devices.push(device);
    Object.assign(gateways.get(key).env, env);
  }
  let i = 0;
  return [...gateways.values()].map((g) => {
    const file = join(agentDir, `${g.gateway}.yaml`);
    const httpPort = ports.firstAgent + i++;
    const config = {
      gateway: g.gateway,
      district: g.district,
      stateDir: `./${g.gateway}-state`,
      defaults: { pollIntervalMs: 1000, timeoutMs: 1000, retries: 1 },
      devices: g.devices,
      delivery: {
        mqtt: { url: brokerUrl, reconnect: { initialMs: 500, maxMs: 10_000 } },
        buffer: { maxBytes: 64 * 1024 * 1024, fsync: 1000 },
      },
      http: { host: '127.0.0.1', port: httpPort },
    };
    if (args.sparkplug === g.gateway) {
      config.delivery.format = 'sparkplug';
      config.delivery.sparkplug = { group: g.district, node: g.gateway, primaryHostId: 'ganzhi-hub' };
    }
    const header = `# Generated by npm start from ${relative(root, scenarioFile)} — rewritten at every start,\n# unless the hub pushed one (README "Fleet"). A real gateway config is written by hand: see edge-agent/config.sample.yaml.\n`;
    if (!pushedAndApplied(file, config)) writeFileSync(file, header + JSON.stringify(config, null, 2) + '\n');
    return { ...g, file, httpPort, config };
  });
}

// ---------------------------------------------------------------- the hub's demo operator
// One operator `demo` for every district of the scenario, its password generated at the first
// start into data/hub-operator.password (mode 0600). Only the file's path is ever printed.
const operatorFile = join(dataDir, 'hub-operator.password');
function operatorPassword() {
  if (!existsSync(operatorFile))
    writeFileSync(operatorFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  return readFileSync(operatorFile, 'utf8').trim();
}
async function hubSection(agents) {
  const password = operatorPassword();
  const districts = [...new Set(agents.map((a) => a.district))];
  return {
    operators: [{ name: 'demo', hash: await hashPassword(password), districts }],
    // the hub publishes commands on the demo broker; anonymous there, so the broker stamps
    // `issuer: anonymous` (a real hub logs in as an operator user with --delegate: broker/README.md)
    mqtt: { clientId: 'ganzhi-hub-demo' },
  };
}

// ---------------------------------------------------------------- fleet management
// The demo city is under fleet management from the start: once the hub knows every gateway (from
// the config state each agent reports), each generated agent config becomes the gateway's desired
// version 1, pushed through the hub API as operator `demo` — exactly what README "Fleet" does by
// hand. A gateway the hub already has a desired config for (a second start) is left alone: its
// retained desired config, kept by the broker in data/broker/, comes back to the agent, so a
// change pushed before the restart survives it. A Sparkplug B gateway has no contract uplink,
// hence no fleet channel, and is left out.
async function underFleetManagement(agents) {
  const hub = `http://127.0.0.1:${ports.ingestHttp}`;
  const authorization = `Basic ${Buffer.from(`demo:${operatorPassword()}`).toString('base64')}`;
  const call = async (method, path, body) => {
    const r = await fetch(`${hub}${path}`, {
      method,
      headers: { authorization, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(5000),
    });
    const json = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${json.message ?? ''}`.trim());
    return json;
  };
  const managed = agents.filter((a) => a.config.delivery.format === undefined);
  const key = (g) => `${g.district}/${g.gateway}`;
  let known = new Map();
  await until(
    'the hub to know every gateway',
    async () => {
      known = new Map((await call('GET', '/api/fleet')).gateways.map((g) => [key(g), g]));
      return managed.every((a) => known.has(key(a)));
    },
    60_000,
  );
  const pushed = [];
  for (const a of managed) {
    if (known.get(key(a)).desired) continue;
    const answer = await call('POST', '/api/fleet/push', {
      target: { district: a.district, gateway: a.gateway },
      config: a.config,
    });
    for (const r of answer.refused ?? []) throw new Error(`${key(r)}: ${r.reason}`);
    pushed.push(...answer.pushes);
  }
  // every gateway on its desired version (a push applies in place: no reconnect, no data lost)
  let gateways = [];
  await until(
    'every gateway to apply its desired config',
    async () => {
      gateways = (await call('GET', '/api/fleet')).gateways.filter((g) =>
        managed.some((a) => key(a) === key(g)),
      );
      return gateways.every((g) => g.sync !== 'pending');
    },
    60_000,
  );
  const behind = gateways.filter((g) => g.sync !== 'applied');
  return { pushed, managed: gateways.length, behind };
}

// ---------------------------------------------------------------- summary line
let last = { readings: 0, at: Date.now() };
async function summary(agents) {
  let up = 0;
  let total = 0;
  let readings = 0;
  let buffered = 0;
  for (const a of agents) {
    try {
      const s = await getJson(`http://127.0.0.1:${a.httpPort}/api/devices`);
      for (const d of s.devices) {
        total++;
        if (d.state === 'up') up++;
        readings += d.counters.readings ?? 0;
      }
      buffered += s.uplink?.backlog ?? 0;
    } catch {
      total += a.devices.length;
    }
  }
  let stored = '?';
  let gaps = '?';
  try {
    const c = await getJson(`http://127.0.0.1:${ports.ingestHttp}/api/completeness`);
    stored = c.total.received;
    gaps = c.total.missing;
  } catch {
    // ingest not answering this second
  }
  const now = Date.now();
  const rate = Math.max(0, Math.round(((readings - last.readings) * 1000) / Math.max(1, now - last.at)));
  last = { readings, at: now };
  return `devices up ${up}/${total} · ${rate} points/s · batches stored ${stored} · buffered ${buffered} · gaps ${gaps}`;
}

// ---------------------------------------------------------------- shutdown
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  if (ticker) clearInterval(ticker);
  if (process.stdout.isTTY) process.stdout.write('\n');
  console.log('stopping: agents flush their buffers, the ingest writes what it holds…');
  const order = ['agent-', 'ingest', 'simulators', 'broker'];
  for (const prefix of order) {
    const group = children.filter(
      (c) => c.name.startsWith(prefix) && c.child.exitCode === null && c.child.signalCode === null,
    );
    for (const c of group) c.child.kill('SIGTERM');
    await Promise.all(
      group.map((c) =>
        Promise.race([c.exited, new Promise((r) => setTimeout(r, 15_000))]).then(() => {
          if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
        }),
      ),
    );
  }
  console.log(
    `stopped. Data kept in ${relative(process.cwd(), dataDir) || '.'}/ — npm start again continues where it left off.`,
  );
  process.exit(code);
}
let ticker;
// last resort if this script dies without a clean shutdown: leave no component behind
process.on('exit', () => {
  for (const c of children)
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGTERM');
});
process.once('SIGINT', () => shutdown(0));
process.once('SIGTERM', () => shutdown(0));

// ---------------------------------------------------------------- main
async function main() {
  for (const [what, port] of [
    ['the broker', mqttPort],
    ['the ingest', ports.ingestHttp],
  ]) {
    if (await portOpen(port)) {
      console.error(
        `port ${port} (for ${what}) is in use — is Ganzhi already running? Set GANZHI_MQTT_PORT / GANZHI_HTTP_BASE to move it.`,
      );
      process.exit(1);
    }
  }
  const agents = agentConfigs(resolve(args.scenario));
  const spbAgent = args.sparkplug ? agents.find((a) => a.gateway === args.sparkplug) : undefined;
  if (args.sparkplug && !spbAgent) {
    console.error(
      `--sparkplug ${args.sparkplug}: no such gateway in the scenario (${agents.map((a) => a.gateway).join(', ')})`,
    );
    process.exit(2);
  }

  console.log('Ganzhi 感知 — starting the demo city (Ctrl-C stops everything)\n');
  console.log(
    'WARNING: the demo broker allows ANONYMOUS clients, on 127.0.0.1 only. Never expose it; see broker/README.md.',
  );
  start('broker', bin('broker', 'cli.js'), [
    '--host',
    '127.0.0.1',
    '--port',
    String(mqttPort),
    '--http-port',
    String(ports.brokerHttp),
    '--allow-anonymous',
    // sessions and queued messages in data/broker/broker.db: a broker crash loses nothing it acknowledged
    '--data-dir',
    join(dataDir, 'broker'),
  ]);
  await until('the broker', () => portOpen(mqttPort));

  const sim = start('simulators', bin('simulators', 'cli.js'), ['run', '--scenario', resolve(args.scenario)]);
  await until('the simulators', () => sim.lines.some((l) => l.startsWith('ready ')), 90_000);

  start('ingest', bin('cloud-ingest', 'cli.js'), [], {
    INGEST_DATA_DIR: join(dataDir, 'ingest'),
    INGEST_HTTP_PORT: String(ports.ingestHttp),
    MQTT_URL: brokerUrl,
    MQTT_CLIENT_ID: 'ganzhi-ingest-demo',
    INGEST_HUB: JSON.stringify(await hubSection(agents)),
    ...(spbAgent
      ? {
          INGEST_SPARKPLUG: JSON.stringify({
            hostId: 'ganzhi-hub',
            groups: [{ group: spbAgent.district, district: spbAgent.district }],
          }),
        }
      : {}),
  });
  await until('the ingest', () => portOpen(ports.ingestHttp));

  for (const a of agents)
    start(`agent-${a.gateway}`, bin('edge-agent', 'cli.js'), ['run', '--config', a.file], a.env);
  await until('the agents', async () =>
    (await Promise.all(agents.map((a) => portOpen(a.httpPort)))).every(Boolean),
  );

  const rel = (p) => relative(process.cwd(), p) || '.';
  console.log(`
  broker          ${brokerUrl}   (metrics http://127.0.0.1:${ports.brokerHttp}/metrics)
                  sessions ${rel(join(dataDir, 'broker', 'broker.db'))}
  hub page        http://127.0.0.1:${ports.ingestHttp}/hub   (fleet view: README "Fleet")
  hub operator    demo, password in ${rel(operatorFile)}   (commands: README "Commands")
  ingest          http://127.0.0.1:${ports.ingestHttp}/api/completeness   /metrics
  simulators      http://127.0.0.1:${loadScenarioFile(resolve(args.scenario)).scenario.control?.port ?? 17000}/api/devices   (scenario ${relative(root, resolve(args.scenario))})
  gateways        ${agents.map((a) => `${a.district}/${a.gateway} http://127.0.0.1:${a.httpPort}/`).join('\n                  ')}
  agent configs   ${rel(agentDir)}/*.yaml
  store           ${influx ?? `SQLite ${rel(sqliteFile)}`}
  logs            ${rel(logDir)}/*.log${args.verbose ? ' (and here)' : ' (npm start -- --verbose to see them here)'}`);
  try {
    const f = await underFleetManagement(agents);
    const versions = [...new Set(f.pushed.map((p) => p.version))].join(', ');
    console.log(
      `  fleet           ${f.managed} gateways under fleet management${f.pushed.length ? ` (${f.pushed.length} pushed as desired version ${versions} by operator demo)` : ''}; npx ganzhi-fleet status (README "Fleet")`,
    );
    for (const g of f.behind)
      console.log(
        `                  ${g.district}/${g.gateway}: ${g.sync}${g.state?.reason ? ` (${g.state.reason})` : ''}`,
      );
  } catch (err) {
    if (stopping) throw err;
    console.log(`  fleet           not under fleet management: ${err.message}`);
  }
  console.log('');
  if (!influx) {
    console.log(
      `  try:  sqlite3 ${rel(sqliteFile)} "SELECT time, device, point, value, quality FROM readings_v ORDER BY ts DESC LIMIT 10"`,
    );
    console.log(
      `   or:  curl 'http://127.0.0.1:${ports.ingestHttp}/api/series?measurement=energy_meter&device=dc-em-001&point=voltage_l1&every=10s&fn=mean'\n`,
    );
  }
  await summary(agents);
  const tick = async () => {
    const line = await summary(agents);
    if (stopping) return;
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}`);
    else console.log(line);
  };
  ticker = setInterval(tick, process.stdout.isTTY ? 2000 : 10_000);
}

main().catch((err) => {
  if (stopping) return;
  console.error(`npm start: ${err.message}`);
  shutdown(1);
});
