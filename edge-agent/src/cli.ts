#!/usr/bin/env node
/**
 * ganzhi-agent — the gateway program. The only composition root of the edge agent.
 *
 *   ganzhi-agent validate --config FILE       check a config; every problem at once; exit 1 if any
 *   ganzhi-agent run --config FILE            poll the devices, deliver over MQTT (store-and-forward)
 *   ganzhi-agent run --config FILE --stdout   poll the devices, readings as JSON lines on stdout
 *   ganzhi-agent schema                       print the config JSON Schema
 *   ganzhi-agent probe modbus|opcua|serial|dlt645|cjt188|hj212 …  commissioning tools (see `ganzhi-agent probe --help`)
 *   ganzhi-agent pki list|trust|reject …       OPC UA server certificates (see `ganzhi-agent pki --help`)
 */
import { format, parseArgs } from 'node:util';
import { formatProblem, sortProblems } from '@ganzhi/device-profiles';
import pino from 'pino';
import { JsonLinesSink } from './acquisition/sink.js';
import { configJsonSchema } from './config/config-schema.js';
import { loadConfigFile } from './config/load-config.js';
import { redactUrl } from './delivery/uplink.js';
import { runGateway } from './run-gateway.js';

const USAGE = `usage:
  ganzhi-agent validate --config FILE
  ganzhi-agent run --config FILE [--stdout] [--log-level info]
  ganzhi-agent schema
  ganzhi-agent probe modbus URL [--unit U] [--table holding|input|coil|discrete] [--range FROM:TO] [--profile ID] [--timeout MS]
  ganzhi-agent probe modbus|opcua URL --profile ID --write POINT=VALUE [--confirm] [--readback]   (guarded commissioning write)
  ganzhi-agent probe opcua opc.tcp://HOST:PORT [--browse NODE]
  ganzhi-agent probe serial PATH|serial-tcp://HOST:PORT [--baud B] [--profile ID] [--seconds S]
  ganzhi-agent probe dlt645|cjt188 URL [--address A] [--di ID,…] [--profile ID]   (DL/T 645, CJ/T 188 meters)
  ganzhi-agent probe hj212 hj212://0.0.0.0:PORT [--seconds S] [--ack]               (HJ 212 data loggers)
  ganzhi-agent pki list|trust|reject … --config FILE`;

/**
 * stdout carries data (JSON lines, probe output); libraries that print with console.*
 * (node-opcua does) are sent to stderr so they cannot corrupt it.
 */
function keepStdoutForData(): void {
  const toStderr = (...args: unknown[]) => process.stderr.write(`${format(...args)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

async function main(argv: string[]): Promise<number> {
  keepStdoutForData();
  const [command, ...rest] = argv;
  switch (command) {
    case 'validate':
      return validate(rest);
    case 'run':
      return run(rest);
    case 'schema':
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      return 0;
    case 'probe': {
      const { probe } = await import('./probe/probe-cli.js');
      return probe(rest);
    }
    case 'pki': {
      const { pki } = await import('./pki/pki-cli.js');
      return pki(
        rest,
        (l) => process.stdout.write(`${l}\n`),
        (l) => process.stderr.write(`${l}\n`),
      );
    }
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`${command ? `unknown command "${command}"\n` : ''}${USAGE}\n`);
      return 2;
  }
}

function configArg(args: string[]): { file: string; values: Record<string, string | boolean | undefined> } {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      stdout: { type: 'boolean' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  if (!values.config) throw new UsageError('--config FILE is required');
  return { file: values.config, values };
}

class UsageError extends Error {}

function validate(args: string[]): number {
  const { file } = configArg(args);
  const loaded = loadConfigFile(file);
  for (const w of sortProblems(loaded.warnings)) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  if (loaded.problems.length > 0) {
    for (const p of sortProblems(loaded.problems)) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${loaded.problems.length} problem(s) in ${file}\n`);
    return 1;
  }
  const n = loaded.devices.length;
  process.stdout.write(`${file}: ok (gateway ${loaded.config?.gateway}, ${n} device${n === 1 ? '' : 's'})\n`);
  return 0;
}

async function run(args: string[]): Promise<number> {
  const { file, values } = configArg(args);
  const loaded = loadConfigFile(file);
  if (loaded.problems.length > 0) {
    for (const p of sortProblems(loaded.problems)) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  // logs go to stderr; with --stdout, readings go to stdout as JSON lines instead of MQTT
  const logger = pino(
    {
      name: 'ganzhi-agent',
      level: String(values['log-level'] ?? 'info'),
      redact: ['*.password', '*.secret', 'password'],
    },
    pino.destination(2),
  );
  const gw = await runGateway(loaded, {
    logger,
    ...(values.stdout ? { sink: new JsonLinesSink(process.stdout) } : {}),
  });
  logger.info(
    {
      gateway: loaded.config?.gateway,
      devices: loaded.devices.length,
      output: values.stdout ? 'stdout' : redactUrl(loaded.config?.delivery?.mqtt.url ?? ''),
      status: gw.statusUrl,
    },
    'agent running',
  );
  if (gw.statusUrl && !values.stdout) process.stdout.write(`status page ${gw.statusUrl}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(
        { signal },
        'stopping: polling stops, buffered batches are flushed while the broker acknowledges',
      );
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await gw.stop();
  logger.info('stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`ganzhi-agent: ${(err as Error).message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
