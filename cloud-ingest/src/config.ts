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
import { COMMAND_LIMITS, ISSUER_PATTERN } from '@ganzhi/device-profiles/contract';
import { HASH_PATTERN } from '@ganzhi/runtime';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_MAX_SEQ_JUMP, DEFAULT_MAX_STREAMS_PER_GATEWAY } from './completeness/tracker.js';
import { IngestError } from './errors.js';
import { DEFAULT_LIMITS } from './guard/gateway-limits.js';
import { SparkplugHostConfigSchema } from './sparkplug/config.js';

const Retry = Type.Object(
  {
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    minDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
    jitter: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'fraction of each delay that is random (default 0.5: ±25 %)',
      }),
    ),
  },
  { additionalProperties: false, description: 'retries inside one store write' },
);

const SqliteStore = Type.Object(
  {
    type: Type.Literal('sqlite'),
    file: Type.Optional(
      Type.String({ description: 'SQLite file (created if missing), default ./data/ingest.db' }),
    ),
    thread: Type.Optional(
      Type.Boolean({
        description: 'write in a worker thread (default true): the receiver never waits for SQLite',
      }),
    ),
  },
  { additionalProperties: false },
);
const InfluxV1Store = Type.Object(
  {
    type: Type.Literal('influxdb-v1'),
    url: Type.String({ description: 'e.g. http://influxdb:8086' }),
    database: Type.String({ minLength: 1 }),
    retentionPolicy: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String({ description: 'prefer passwordFile or INFLUX_PASSWORD' })),
    passwordFile: Type.Optional(Type.String()),
    gzipThreshold: Type.Optional(Type.Integer({ minimum: 0 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
    retry: Type.Optional(Retry),
  },
  { additionalProperties: false },
);
const InfluxV2Store = Type.Object(
  {
    type: Type.Literal('influxdb-v2'),
    url: Type.String(),
    org: Type.String({ minLength: 1 }),
    bucket: Type.String({ minLength: 1 }),
    token: Type.Optional(Type.String({ description: 'prefer tokenFile or INFLUX_TOKEN' })),
    tokenFile: Type.Optional(Type.String()),
    gzipThreshold: Type.Optional(Type.Integer({ minimum: 0 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100 })),
    retry: Type.Optional(Retry),
  },
  { additionalProperties: false },
);
const NullStore = Type.Object({ type: Type.Literal('null') }, { additionalProperties: false });

const Partition = Type.Union([
  Type.Object({ by: Type.Literal('none') }, { additionalProperties: false }),
  Type.Object(
    { by: Type.Literal('district'), districts: Type.Array(Type.String(), { minItems: 1 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      by: Type.Literal('gateway-hash'),
      index: Type.Integer({ minimum: 0 }),
      count: Type.Integer({ minimum: 1 }),
    },
    { additionalProperties: false },
  ),
]);

export const IngestConfigSchema = Type.Object(
  {
    mqtt: Type.Object(
      {
        url: Type.String({ default: 'mqtt://127.0.0.1:1883' }),
        clientId: Type.String({
          default: 'ganzhi-ingest-1',
          description: 'fixed: the persistent session is keyed on it',
        }),
        username: Type.Optional(Type.String()),
        password: Type.Optional(Type.String({ description: 'prefer passwordFile or MQTT_PASSWORD' })),
        passwordFile: Type.Optional(Type.String()),
        caFile: Type.Optional(Type.String({ description: 'CA bundle for mqtts://' })),
        share: Type.Optional(
          Type.String({ description: 'shared-subscription group ($share/…) for brokers that have it' }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    partition: Type.Optional(Partition),
    store: Type.Union([SqliteStore, InfluxV1Store, InfluxV2Store, NullStore], {
      description: 'where readings go; absent: SQLite in ./data/ingest.db',
    }),
    batch: Type.Object(
      {
        lines: Type.Integer({ minimum: 1, maximum: 100_000, default: 5000 }),
        flushMs: Type.Integer({ minimum: 1, default: 200 }),
        maxInFlight: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
      },
      { additionalProperties: false, default: {} },
    ),
    log: Type.Object(
      {
        dir: Type.String({ default: './data/log' }),
        holdAckAtBytes: Type.Integer({ minimum: 1_000_000, default: 1024 ** 3 }),
        fsyncIntervalMs: Type.Integer({ minimum: 0, default: 1000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    deadLetterFile: Type.String({ default: './data/dead-letters.jsonl' }),
    deadLetterMaxBytes: Type.Integer({
      minimum: 65_536,
      default: 256 * 1024 * 1024,
      description: 'the dead-letter file becomes <file>.1 (replacing it) when it would grow past this',
    }),
    completeness: Type.Object(
      {
        file: Type.String({ default: './data/completeness.json' }),
        writeEveryMs: Type.Integer({ minimum: 0, default: 60_000 }),
        maxSeqJump: Type.Integer({
          minimum: 1,
          default: DEFAULT_MAX_SEQ_JUMP,
          description:
            'a seq more than this past the highest seen (or below the lowest) is a stream reset, not missing batches',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Type.Object(
      {
        gateways: Type.Integer({
          minimum: 1,
          default: DEFAULT_LIMITS.gateways,
          description: 'gateways the ingest knows at once',
        }),
        devicesPerGateway: Type.Integer({
          minimum: 1,
          default: DEFAULT_LIMITS.devicesPerGateway,
          description: 'device ids one gateway may use (so also its retained meta/status topics)',
        }),
        seriesPerGateway: Type.Integer({
          minimum: 1,
          default: DEFAULT_LIMITS.seriesPerGateway,
          description: 'tag sets (measurement × device × model) one gateway may write; ×3 qualities = series',
        }),
        pointsPerDevice: Type.Integer({
          minimum: 1,
          default: DEFAULT_LIMITS.pointsPerDevice,
          description: 'points one device meta may list',
        }),
        streamsPerGateway: Type.Integer({
          minimum: 1,
          default: DEFAULT_MAX_STREAMS_PER_GATEWAY,
          description: 'completeness streams kept per gateway; older ones are folded into one',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'per-gateway limits: what is over them is refused to the dead letters, counted and logged',
      },
    ),
    profiles: Type.Object(
      {
        builtin: Type.Boolean({
          default: true,
          description: 'the profiles shipped in @ganzhi/device-profiles',
        }),
        dirs: Type.Array(Type.String(), {
          default: [],
          description: 'site profile directories (the same as the gateways use); a later one overrides',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'the profiles the ingest knows: a batch naming another is tagged model=unknown',
      },
    ),
    http: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }),
        allowedHosts: Type.Array(Type.String({ minLength: 1 }), {
          default: [],
          description:
            'Host names the HTTP API answers besides localhost, IP addresses and http.host (DNS rebinding); ".example.org" allows every name under it',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    hub: Type.Object(
      {
        operators: Type.Array(
          Type.Object(
            {
              name: Type.String({
                pattern: ISSUER_PATTERN.source,
                description: 'the operator (HTTP Basic user)',
              }),
              hash: Type.String({
                pattern: HASH_PATTERN,
                description: 'scrypt hash, the broker users file format (ganzhi-broker hash-password)',
              }),
              districts: Type.Array(Type.String({ pattern: ID_PATTERN.source }), {
                minItems: 1,
                description: 'districts this operator may command and read commands of',
              }),
            },
            { additionalProperties: false },
          ),
          { default: [], description: 'who may send commands through POST /api/commands (issue 15)' },
        ),
        mqtt: Type.Optional(
          Type.Object(
            {
              url: Type.Optional(Type.String({ description: 'default: mqtt.url' })),
              clientId: Type.String({ default: 'ganzhi-hub-1' }),
              username: Type.Optional(
                Type.String({ description: "the hub's broker user: role operator with delegate: true" }),
              ),
              password: Type.Optional(
                Type.String({ description: 'prefer passwordFile or HUB_MQTT_PASSWORD' }),
              ),
              passwordFile: Type.Optional(Type.String()),
              caFile: Type.Optional(Type.String()),
            },
            { additionalProperties: false, description: 'the connection commands are published on' },
          ),
        ),
        commandsFile: Type.String({
          default: './data/commands.db',
          description: 'the SQLite command audit when the store is not SQLite (with SQLite: the store file)',
        }),
        defaultTtlMs: Type.Integer({ minimum: 1000, maximum: COMMAND_LIMITS.maxTtlMs, default: 60_000 }),
        loginThrottle: Type.Object(
          {
            failuresBeforeBackoff: Type.Integer({ minimum: 1, default: 5 }),
            firstBackoffMs: Type.Integer({ minimum: 1, default: 1000 }),
            maxBackoffMs: Type.Integer({ minimum: 1, default: 60_000 }),
          },
          {
            additionalProperties: false,
            default: {},
            description: 'wrong operator passwords per address or name before 429s, doubling up to the max',
          },
        ),
      },
      { additionalProperties: false, default: {}, description: "the hub's command API (issue 15)" },
    ),
    /** the hub as a Sparkplug B host application (issue 18); absent: no Sparkplug */
    sparkplug: Type.Optional(SparkplugHostConfigSchema),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
  },
  { additionalProperties: false },
);

export type IngestConfig = Static<typeof IngestConfigSchema>;
export type StoreConfig = IngestConfig['store'];

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
