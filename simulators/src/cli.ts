#!/usr/bin/env node
/**
 * ganzhi-sim: field devices on demand. The only composition root of the simulators.
 *
 *   ganzhi-sim run --scenario FILE [--control-port N] [--any-port]
 *   ganzhi-sim modbus --profile ID --port N [--unit U] [--seed S]
 *   ganzhi-sim modbus-rtu --profile ID --device PATH [--unit U] [--baud B]
 *   ganzhi-sim modbus-rtu-tcp --profile ID --port N [--unit U]
 *   ganzhi-sim opcua --profile ID --port N [--pki-dir DIR]
 *   ganzhi-sim serial --profile ID (--device PATH | --tcp-port N)
 *   ganzhi-sim dlt645|cjt188 --profile ID (--port N | --device PATH) --address A
 *   ganzhi-sim hj212 --profile ID --port N [--host H] --mn MN --pw PW
 *   ganzhi-sim schema
 *
 * Prints where it listens, runs until SIGINT/SIGTERM, then exits 0. Exit 2: bad arguments
 * or scenario; exit 1: could not start (port taken, device missing).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { formatProblem } from '@ganzhi/device-profiles';
import pino from 'pino';
import { buildControlApp } from './control/app.js';
import { type LoadedScenario, loadScenarioFile, parseScenario } from './scenario/load.js';
import { scenarioJsonSchema } from './scenario/schema.js';
import { Simulation } from './scenario/simulation.js';

const USAGE = `usage:
  ganzhi-sim run --scenario FILE [--control-port N] [--control-host H] [--any-port]
  ganzhi-sim modbus --profile ID --port N [--unit U] [--seed S] [--control-port N]
  ganzhi-sim modbus-rtu --profile ID --device PATH [--unit U] [--baud B]
  ganzhi-sim modbus-rtu-tcp --profile ID --port N [--unit U] [--seed S]
  ganzhi-sim opcua --profile ID --port N [--pki-dir DIR]
  ganzhi-sim serial --profile ID (--device PATH | --tcp-port N) [--baud B]
  ganzhi-sim dlt645 --profile ID (--port N | --device PATH) --address 000000000161 [--baud B]
  ganzhi-sim cjt188 --profile ID (--port N | --device PATH) --address 78330011223344 [--baud B]
  ganzhi-sim hj212 --profile ID --port N [--host H] --mn MN --pw PW [--interval-ms MS]
                               (a data logger connecting out to the platform at HOST:PORT)
  ganzhi-sim schema            (prints the scenario file's JSON Schema)
common: --profiles-dir DIR (extra profile directory), --seed S, --control-port N (0 = any)
env: LOG_LEVEL (default warn; logs go to stderr)`;

const options = {
  scenario: { type: 'string' },
  'control-port': { type: 'string' },
  'control-host': { type: 'string' },
  'any-port': { type: 'boolean' },
  profile: { type: 'string' },
  'profiles-dir': { type: 'string' },
  port: { type: 'string' },
  'tcp-port': { type: 'string' },
  device: { type: 'string' },
  unit: { type: 'string' },
  seed: { type: 'string' },
  baud: { type: 'string' },
  'pki-dir': { type: 'string' },
  host: { type: 'string' },
  address: { type: 'string' },
  mn: { type: 'string' },
  pw: { type: 'string' },
  'interval-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${v}"`);
  return n;
}

function need<T>(v: T | undefined, name: string): T {
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

/** A one-device scenario for the single-protocol commands. */
function oneDevice(cmd: string, v: Values): LoadedScenario {
  const profile = need(v.profile, 'profile');
  const unit = int(v.unit, 'unit');
  const baudRate = int(v.baud, 'baud');
  const host = v.host ? { host: v.host } : {};
  let endpoint: Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  switch (cmd) {
    case 'modbus':
      endpoint = { protocol: 'modbus-tcp', port: need(int(v.port, 'port'), 'port'), ...host };
      break;
    case 'modbus-rtu-tcp':
      endpoint = { protocol: 'modbus-rtu-tcp', port: need(int(v.port, 'port'), 'port'), ...host };
      break;
    case 'modbus-rtu':
      endpoint = {
        protocol: 'modbus-rtu',
        device: need(v.device, 'device'),
        ...(baudRate ? { baudRate } : {}),
      };
      break;
    case 'opcua':
      endpoint = { protocol: 'opcua', port: need(int(v.port, 'port'), 'port'), ...host };
      break;
    case 'serial': {
      if ((v.device === undefined) === (v['tcp-port'] === undefined)) {
        throw new UsageError('serial needs exactly one of --device PATH or --tcp-port N');
      }
      endpoint = v.device
        ? { protocol: 'serial', device: v.device, ...(baudRate ? { baudRate } : {}) }
        : { protocol: 'serial-tcp', port: int(v['tcp-port'], 'tcp-port'), ...host };
      break;
    }
    case 'dlt645':
    case 'cjt188': {
      if ((v.device === undefined) === (v.port === undefined)) {
        throw new UsageError(`${cmd} needs exactly one of --port N or --device PATH`);
      }
      endpoint = v.device
        ? { protocol: cmd, device: v.device, ...(baudRate ? { baudRate } : {}) }
        : { protocol: `${cmd}-tcp`, port: int(v.port, 'port'), ...host };
      extra.address = need(v.address, 'address');
      break;
    }
    case 'hj212':
      endpoint = { protocol: 'hj212', port: need(int(v.port, 'port'), 'port'), ...host };
      extra.mn = need(v.mn, 'mn');
      extra.pw = need(v.pw, 'pw');
      if (v['interval-ms'] !== undefined) extra.intervalMs = int(v['interval-ms'], 'interval-ms');
      break;
    default:
      throw new UsageError(`unknown command ${cmd}`);
  }
  const scenario = {
    ...(v['profiles-dir'] ? { profileDirs: [resolve(v['profiles-dir'])] } : {}),
    ...(v['pki-dir'] ? { opcua: { pkiDir: resolve(v['pki-dir']) } } : {}),
    devices: [
      {
        id: profile,
        profile,
        endpoint,
        ...extra,
        ...(unit !== undefined ? { unit } : {}),
        ...(v.seed !== undefined ? { seed: int(v.seed, 'seed') } : {}),
      },
    ],
  };
  const { loaded, problems } = parseScenario(JSON.stringify(scenario), `<${cmd} arguments>`, {
    baseDir: process.cwd(),
  });
  if (!loaded) throw new UsageError(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return loaded;
}

function describeEndpoint(e: ReturnType<Simulation['endpoints']>[number]): string {
  const where = e.url ?? (e.path ? e.path : `${e.host}:${e.port}`);
  const n = e.devices.length;
  const who = n <= 4 ? e.devices.join(', ') : `${e.devices.slice(0, 3).join(', ')} … (${n} devices)`;
  // an HJ 212 data logger does not listen: it connects out to the platform
  if (e.protocol === 'hj212') return `connecting hj212 data loggers to ${where} ${who}`;
  return `listening ${e.protocol} ${where} ${who}`;
}

async function main(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const cmd = positionals[0];
  if (v.help || !cmd) {
    console.log(USAGE);
    return v.help ? 0 : 2;
  }
  if (cmd === 'schema') {
    process.stdout.write(scenarioJsonSchema());
    return 0;
  }
  // handlers first: a signal during start-up stops the simulator as soon as it is up
  // (process.on, not once: a repeated signal while stopping must not kill us mid-teardown)
  let stopping = false;
  const signalled = new Promise<void>((done) => {
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      // a teardown that hangs must not keep the process forever
      setTimeout(() => {
        console.error('ganzhi-sim: stopping took over 15 s, exiting');
        process.exit(1);
      }, 15_000).unref();
      done();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const logger = pino({ name: 'ganzhi-sim', level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const loaded = cmd === 'run' ? loadScenarioFile(need(v.scenario, 'scenario')) : oneDevice(cmd, v);
  const sim = await Simulation.start({ loaded, logger, anyPort: v['any-port'] ?? false });
  for (const e of sim.endpoints()) console.log(describeEndpoint(e));

  const controlPort = int(v['control-port'], 'control-port') ?? loaded.scenario.control?.port;
  let app: ReturnType<typeof buildControlApp> | undefined;
  if (controlPort !== undefined) {
    app = buildControlApp(sim, { logger: logger.child({ component: 'control' }) });
    const host = v['control-host'] ?? loaded.scenario.control?.host ?? '127.0.0.1';
    try {
      await app.listen({ port: v['any-port'] && v['control-port'] === undefined ? 0 : controlPort, host });
    } catch (err) {
      await sim.stop();
      throw err;
    }
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : controlPort;
    console.log(`listening control http://${host}:${port}/api/devices`);
  }
  console.log(`ready ${sim.devices.size} devices`);

  await signalled;
  await app?.close();
  await sim.stop();
  console.log('stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error & { code?: string; problems?: Parameters<typeof formatProblem>[0][] }) => {
    if (err instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`ganzhi-sim: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err.code === 'GZ_SIM_SCENARIO' || err.code === 'GZ_SIM_POINT' || err.code === 'GZ_PROFILE_INVALID') {
      console.error(`ganzhi-sim: ${err.message}`);
      process.exit(2);
    }
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    console.error(`ganzhi-sim: ${err.message}${cause}`);
    process.exit(1);
  },
);
