/**
 * The chaos run's system under test, every part a child process of its real CLI:
 * simulators (one scenario: Modbus TCP devices + a Modbus RTU meter on a socat pty) → one
 * ganzhi-agent per gateway (own state dir = own durable buffer) → a TCP proxy (the cuttable
 * "network") → ganzhi-broker → one ganzhi-ingest per store (SQLite, InfluxDB 1.6).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPtyPair, startRedis as startRedisServer } from '../../test-support/peers-start.mjs';
import { fatal, freePort, getJson, spawnLogged, waitFor, waitForLog } from './procs.mjs';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const bin = {
  sim: join(ROOT, 'simulators/bin/ganzhi-sim.js'),
  agent: join(ROOT, 'edge-agent/bin/ganzhi-agent.js'),
  broker: join(ROOT, 'broker/dist/cli.js'),
  ingest: join(ROOT, 'cloud-ingest/bin/ganzhi-ingest.js'),
};

export const POLL_MS = 1000;

/**
 * Gateways and their devices: Modbus TCP on three ports, one Modbus RTU flow meter on a serial
 * line (socat pty pair). The meter answers 120–200 ms late, as on a slow RS-485 line: a kill
 * can then land between a sample being served and the agent receiving it.
 */
export const GATEWAYS = [
  { gateway: 'dc-gw-01', district: 'dongcheng' },
  { gateway: 'xc-gw-01', district: 'xicheng' },
];

function scenarioYaml(seed, ttyA) {
  return `name: chaos
seed: ${seed}
control: { port: 0 }
devices:
  - { id: dc-em, profile: eastron-sdm630, district: dongcheng, gateway: dc-gw-01, endpoint: { protocol: modbus-tcp, port: 25020 }, unit: 1, repeat: { count: 2 } }
  - { id: dc-aq, profile: air-quality-rs485, district: dongcheng, gateway: dc-gw-01, endpoint: { protocol: modbus-tcp, port: 25021 }, unit: 1 }
  - { id: dc-flow, profile: flow-meter, district: dongcheng, gateway: dc-gw-01, endpoint: { protocol: modbus-rtu, device: ${ttyA}, baudRate: 19200 }, unit: 10,
      faults: [{ id: slow-line, kind: latency, ms: 120, jitterMs: 80 }] }
  - { id: xc-light, profile: streetlight-controller, district: xicheng, gateway: xc-gw-01, endpoint: { protocol: modbus-tcp, port: 25120 }, unit: 1, repeat: { count: 2 } }
  - { id: xc-mb, profile: eastron-sdm120, district: xicheng, gateway: xc-gw-01, endpoint: { protocol: modbus-tcp, port: 25121 }, unit: 3 }
`;
}

/** A socat pty pair DIR/ttyA ↔ DIR/ttyB (log DIR/socat.log): the meter's serial line. */
export function startSerialLine(dir) {
  return startPtyPair('socat', dir, { timeoutMs: 20_000, everyMs: 50 });
}

/** Starts the simulators; returns the control API base URL and every device with its endpoint. */
export async function startSimulators(dir, seed, ttyA) {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, scenarioYaml(seed, ttyA));
  const proc = spawnLogged(process.execPath, [bin.sim, 'run', '--scenario', file, '--any-port'], {
    dir,
    name: 'simulators',
  });
  const m = await waitForLog(
    proc,
    /listening control (http:\/\/\S+?)\/api\/devices/,
    'simulators control API',
    90_000,
  );
  const control = m[1];
  await waitForLog(proc, /^ready \d+ devices/m, 'simulators ready', 90_000);
  const endpoints = await getJson(`${control}/api/endpoints`);
  const devices = await getJson(`${control}/api/devices`);
  const where = new Map();
  for (const e of endpoints) for (const id of e.devices) where.set(id, e);
  return {
    proc,
    control,
    devices: devices.map((d) => ({ ...d, ep: where.get(d.id) })),
  };
}

function agentDeviceYaml(d, ttyB) {
  const url =
    d.ep.protocol === 'modbus-tcp'
      ? `modbus-tcp://127.0.0.1:${d.ep.port}`
      : `modbus-rtu://${ttyB}?baud=19200&parity=N&data=8&stop=1`;
  return `  - { id: ${d.id}, profile: ${d.profile}, endpoint: "${url}", unitId: ${d.unit} }`;
}

/** Writes one agent config per gateway; returns {gateway, district, dir, config, httpPort, devices}. */
export async function writeAgentConfigs(dir, simDevices, ttyB, mqttPort) {
  const out = [];
  for (const g of GATEWAYS) {
    const gdir = join(dir, g.gateway);
    mkdirSync(gdir, { recursive: true });
    const devices = simDevices.filter((d) => d.gateway === g.gateway);
    const httpPort = await freePort();
    const config = join(gdir, 'agent.yaml');
    writeFileSync(
      config,
      [
        `gateway: ${g.gateway}`,
        `district: ${g.district}`,
        'stateDir: ./state',
        `defaults: { pollIntervalMs: ${POLL_MS}, timeoutMs: 3000, retries: 0 }`,
        'devices:',
        ...devices.map((d) => agentDeviceYaml(d, ttyB)),
        'delivery:',
        `  mqtt: { url: "mqtt://127.0.0.1:${mqttPort}", keepaliveS: 10, reconnect: { initialMs: 500, maxMs: 4000 } }`,
        '  buffer: { fsync: 1000 }',
        `http: { host: 127.0.0.1, port: ${httpPort} }`,
        '',
      ].join('\n'),
    );
    out.push({
      ...g,
      dir: gdir,
      config,
      httpPort,
      devices: devices.map((d) => d.id),
      bufferDir: join(gdir, 'state/buffer'),
    });
  }
  return out;
}

let agentRuns = 0;
export async function startAgent(a) {
  const proc = spawnLogged(
    process.execPath,
    [bin.agent, 'run', '--config', a.config, '--log-level', 'info'],
    {
      dir: a.dir,
      name: `agent-${a.gateway}-${agentRuns++}`,
    },
  );
  await waitFor(
    `agent ${a.gateway} status page`,
    async () => {
      if (!proc.running()) throw fatal(`agent ${a.gateway} exited: ${proc.log().slice(-800)}`);
      const r = await getJson(`http://127.0.0.1:${a.httpPort}/api/devices`, 3000);
      return r.uplink?.connected ? r : undefined;
    },
    90_000,
    200,
  );
  return proc;
}

export async function agentStatus(a) {
  return getJson(`http://127.0.0.1:${a.httpPort}/api/devices`, 5000);
}

/** Debian redis-server on a free port, nothing saved to disk: the broker's shared state. */
export async function startRedis(dir) {
  const r = await startRedisServer('redis-server', join(dir, 'redis'), {
    logDir: dir,
    timeoutMs: 60_000,
    everyMs: 100,
  });
  return { proc: r.proc, url: `${r.url}/0` };
}

let brokerRuns = 0;
/**
 * Where a broker without --redis keeps its sessions: `dataDir` set = disk mode (--data-dir, the
 * same directory across restarts), unset = memory. Set once by chaos.mjs for --broker disk.
 */
export const brokerSessions = { dataDir: undefined };
export async function startBroker(dir, port, httpPort, redisUrl) {
  const proc = spawnLogged(
    process.execPath,
    [
      bin.broker,
      ...(redisUrl ? ['--redis', redisUrl] : []),
      ...(!redisUrl && brokerSessions.dataDir ? ['--data-dir', brokerSessions.dataDir] : []),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--allow-anonymous',
      '--http-port',
      String(httpPort),
      '--log-level',
      'warn',
    ],
    { dir, name: `broker-${brokerRuns++}` },
  );
  await waitForLog(proc, /ganzhi-broker \S+ ready/, 'broker ready', 60_000);
  return proc;
}

export async function writeIngestConfig(dir, name, brokerPort, store) {
  const idir = join(dir, `ingest-${name}`);
  mkdirSync(idir, { recursive: true });
  const httpPort = await freePort();
  const storeYaml =
    store.type === 'sqlite'
      ? '  type: sqlite\n  file: ./data/ingest.db'
      : `  type: influxdb-v1\n  url: ${store.url}\n  database: ${store.database}\n  timeoutMs: 10000`;
  const config = join(idir, 'ingest.yaml');
  writeFileSync(
    config,
    [
      `mqtt: { url: "mqtt://127.0.0.1:${brokerPort}", clientId: chaos-ingest-${name} }`,
      'store:',
      storeYaml,
      'log: { dir: ./data/log }',
      'deadLetterFile: ./data/dead-letters.jsonl',
      'completeness: { file: ./data/completeness.json, writeEveryMs: 0 }',
      `http: { host: 127.0.0.1, port: ${httpPort} }`,
      'logLevel: info',
      '',
    ].join('\n'),
  );
  return {
    name,
    dir: idir,
    config,
    httpPort,
    store,
    url: `http://127.0.0.1:${httpPort}`,
    dbFile: join(idir, 'data/ingest.db'),
    deadLetters: join(idir, 'data/dead-letters.jsonl'),
  };
}

let ingestRuns = 0;
export async function startIngest(ing, { ready = true } = {}) {
  const proc = spawnLogged(process.execPath, [bin.ingest, '--config', ing.config], {
    dir: ing.dir,
    name: `ingest-${ing.name}-${ingestRuns++}`,
  });
  await waitFor(
    `ingest ${ing.name} HTTP`,
    async () => {
      if (!proc.running()) throw fatal(`ingest ${ing.name} exited: ${proc.log().slice(-800)}`);
      const r = await fetch(`${ing.url}/${ready ? 'readyz' : 'healthz'}`, {
        signal: AbortSignal.timeout(3000),
      });
      return r.status === 200 ? true : undefined;
    },
    90_000,
    200,
  );
  return proc;
}

/** Prometheus text → value of an unlabelled metric (or the sum over its label sets). */
export function metric(text, name) {
  let sum;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = line.match(/^(\w+)(\{[^}]*\})?\s+(\S+)/);
    if (m && m[1] === name) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}
