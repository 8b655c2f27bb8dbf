#!/usr/bin/env node
/**
 * ganzhi-ingest — MQTT to InfluxDB / SQLite.
 *
 *   ganzhi-ingest --config FILE      configuration file (YAML or JSON)
 *   ganzhi-ingest                    environment only (see README: INFLUX_URL …, else SQLite in ./data)
 *   ganzhi-ingest --check --config FILE   validate the configuration and exit
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { configFromEnv, describeConfig, type IngestConfig, loadConfigFile } from './config.js';
import { startIngest } from './ingest.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: ganzhi-ingest [--config FILE] [--check]\nSee cloud-ingest/README.md for the configuration.',
    );
    return 0;
  }
  let cfg: IngestConfig;
  try {
    cfg = values.config ? loadConfigFile(values.config) : configFromEnv();
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (values.check) {
    console.log(`configuration ok: store ${cfg.store.type}, broker ${cfg.mqtt.url}`);
    return 0;
  }
  const logger = pino({
    level: cfg.logLevel,
    redact: ['password', 'token', '*.password', '*.token', 'store.password', 'store.token', 'mqtt.password'],
  });
  logger.info({ config: describeConfig(cfg) }, 'starting');
  const ingest = await startIngest(cfg, { logger });
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      logger.info({ signal: sig }, 'shutting down: flushing the log to the store');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await ingest.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`ganzhi-ingest: ${(err as Error).message}`);
    process.exit(1);
  },
);
