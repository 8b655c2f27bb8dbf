/**
 * The ingest's configuration: a YAML (or JSON) file validated against a TypeBox schema
 * (every problem reported at once, each with its path and line), or — without a file —
 * environment variables only. Secrets (Influx token, passwords) come from the
 * environment or from files, are never logged, and are kept out of `describeConfig`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  formatPath,
  formatProblem,
  ID_PATTERN,
  isValidId,
  type Locate,
  type Problem,
  parseYamlDocument,
  sortProblems,
  validateAgainst,
} from '@ganzhi/device-profiles';
import { Value } from '@sinclair/typebox/value';
import { type IngestConfig, IngestConfigSchema, type StoreConfig } from './config-schema.js';
import { IngestError } from './errors.js';

export type { IngestConfig, StoreConfig } from './config-schema.js';
export { IngestConfigSchema } from './config-schema.js';

type Env = Record<string, string | undefined>;

function readSecret(file: string | undefined, base: string): string | undefined {
  return file === undefined ? undefined : readFileSync(resolve(base, file), 'utf8').trim();
}

function fail(problems: Problem[]): never {
  throw new IngestError(
    'GZ_CONFIG_INVALID',
    `invalid configuration:\n${problems.map(formatProblem).join('\n')}`,
  );
}

/** Resolves relative paths against `base`, secrets from files and the environment. */
/** Checks the schema cannot express; safe on a value that failed the schema. */
function semanticProblems(value: unknown, file: string, locate?: Locate): Problem[] {
  const problems: Problem[] = [];
  const p = (path: (string | number)[], message: string) => {
    const at = locate?.(path);
    problems.push({
      file,
      ...(at ? { line: at.line, column: at.column } : {}),
      path: formatPath(path),
      message,
    });
  };
  const part = (
    value as { partition?: { by?: unknown; index?: unknown; count?: unknown; districts?: unknown } }
  )?.partition;
  if (part?.by === 'gateway-hash' && typeof part.index === 'number' && typeof part.count === 'number') {
    if (part.index >= part.count) p(['partition', 'index'], 'must be below partition.count');
  }
  if (part?.by === 'district' && Array.isArray(part.districts)) {
    part.districts.forEach((d: unknown, i: number) => {
      if (typeof d === 'string' && !isValidId(d))
        p(['partition', 'districts', i], `"${d}" is not a valid district id (${ID_PATTERN.source})`);
    });
  }
  return problems;
}

function finish(cfg: IngestConfig, base: string, env: Env, file: string): IngestConfig {
  const problems: Problem[] = [];
  const p = (path: string, message: string) => problems.push({ file, path, message });
  const s = cfg.store;
  try {
    if (s.type === 'sqlite') s.file = resolve(base, s.file ?? './data/ingest.db');
    if (s.type === 'influxdb-v1')
      s.password = readSecret(s.passwordFile, base) ?? env.INFLUX_PASSWORD ?? s.password;
    if (s.type === 'influxdb-v2') s.token = readSecret(s.tokenFile, base) ?? env.INFLUX_TOKEN ?? s.token;
    cfg.mqtt.password = readSecret(cfg.mqtt.passwordFile, base) ?? env.MQTT_PASSWORD ?? cfg.mqtt.password;
    const hm = cfg.hub.mqtt;
    if (hm) hm.password = readSecret(hm.passwordFile, base) ?? env.HUB_MQTT_PASSWORD ?? hm.password;
  } catch (err) {
    p('store', `cannot read a secret file: ${(err as Error).message}`);
  }
  cfg.log.dir = resolve(base, cfg.log.dir);
  cfg.profiles.dirs = cfg.profiles.dirs.map((d) => resolve(base, d));
  cfg.deadLetterFile = resolve(base, cfg.deadLetterFile);
  cfg.completeness.file = resolve(base, cfg.completeness.file);
  cfg.hub.commandsFile = resolve(base, cfg.hub.commandsFile);
  if (problems.length) fail(problems);
  return cfg;
}

export function parseConfig(text: string, file: string, env: Env = process.env): IngestConfig {
  const doc = parseYamlDocument(text, file);
  if (doc.value === undefined)
    fail(doc.problems.length ? doc.problems : [{ file, path: '', message: 'empty' }]);
  const raw = structuredClone(doc.value ?? {}) as Record<string, unknown>;
  // a union default would be merged into a given store object: default it by hand
  if (raw && typeof raw === 'object' && raw.store === undefined) raw.store = { type: 'sqlite' };
  const value = Value.Default(IngestConfigSchema, raw);
  const problems = [
    ...validateAgainst(IngestConfigSchema, value, file, doc.locate),
    ...semanticProblems(value, file, doc.locate),
  ];
  if (problems.length) fail(sortProblems(problems));
  return finish(value as IngestConfig, dirname(resolve(file)), env, file);
}

export function loadConfigFile(file: string, env: Env = process.env): IngestConfig {
  return parseConfig(readFileSync(file, 'utf8'), file, env);
}

/**
 * No config file: INFLUX_URL + INFLUX_ORG + INFLUX_BUCKET (+ INFLUX_TOKEN) → v2;
 * INFLUX_V1_URL + INFLUX_DB (+ INFLUX_USER, INFLUX_PASSWORD, INFLUX_RP) → v1;
 * otherwise SQLite under ./data/. MQTT_URL, MQTT_CLIENT_ID, MQTT_USERNAME, MQTT_PASSWORD,
 * INGEST_HTTP_PORT, INGEST_DATA_DIR override the defaults; INGEST_SPARKPLUG and INGEST_HUB give the
 * `sparkplug` and `hub` sections as JSON.
 */
function jsonFromEnv(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new IngestError('GZ_CONFIG_INVALID', `${name} is not JSON`, { cause });
  }
}

export function configFromEnv(env: Env = process.env, cwd = process.cwd()): IngestConfig {
  const data = env.INGEST_DATA_DIR ?? './data';
  let store: StoreConfig;
  if (env.INFLUX_URL) {
    store = {
      type: 'influxdb-v2',
      url: env.INFLUX_URL,
      org: env.INFLUX_ORG ?? '',
      bucket: env.INFLUX_BUCKET ?? '',
    };
  } else if (env.INFLUX_V1_URL) {
    store = {
      type: 'influxdb-v1',
      url: env.INFLUX_V1_URL,
      database: env.INFLUX_DB ?? '',
      username: env.INFLUX_USER,
      retentionPolicy: env.INFLUX_RP,
    };
  } else {
    store = { type: 'sqlite', file: `${data}/ingest.db` };
  }
  const raw = {
    mqtt: {
      url: env.MQTT_URL ?? 'mqtt://127.0.0.1:1883',
      clientId: env.MQTT_CLIENT_ID ?? 'ganzhi-ingest-1',
      ...(env.MQTT_USERNAME ? { username: env.MQTT_USERNAME } : {}),
    },
    store: JSON.parse(JSON.stringify(store)) as StoreConfig,
    log: { dir: `${data}/log` },
    deadLetterFile: `${data}/dead-letters.jsonl`,
    completeness: { file: `${data}/completeness.json` },
    http: { port: env.INGEST_HTTP_PORT ? Number(env.INGEST_HTTP_PORT) : 9464 },
    // the Sparkplug B host section as JSON (issue 18; the demo's --sparkplug uses it)
    ...(env.INGEST_SPARKPLUG ? { sparkplug: jsonFromEnv('INGEST_SPARKPLUG', env.INGEST_SPARKPLUG) } : {}),
    // the hub's command section as JSON (issue 15; `npm start` gives the demo operator with it)
    ...(env.INGEST_HUB ? { hub: jsonFromEnv('INGEST_HUB', env.INGEST_HUB) } : {}),
  };
  const value = Value.Default(IngestConfigSchema, raw);
  const problems = validateAgainst(IngestConfigSchema, value, '(environment)', () => undefined);
  if (problems.length) fail(problems);
  return finish(value as IngestConfig, cwd, env, '(environment)');
}

/** The configuration with every secret replaced by `[redacted]`, for the start-up log. */
export function describeConfig(cfg: IngestConfig): unknown {
  const c = structuredClone(cfg) as Record<string, unknown> & IngestConfig;
  const s = c.store as { password?: string; token?: string };
  if (s.password) s.password = '[redacted]';
  if (s.token) s.token = '[redacted]';
  if (c.mqtt.password) c.mqtt.password = '[redacted]';
  if (c.hub.mqtt?.password) c.hub.mqtt.password = '[redacted]';
  return c;
}
