/**
 * The ingest configuration's schema (TypeBox): what a config file or the environment may set,
 * with defaults. Shipped as JSON Schema (schema/ingest-config.schema.json, written by
 * scripts/emit-schema.mjs) for editors. Loading, secrets and cross-field checks: config.ts.
 */
import { ID_PATTERN } from '@ganzhi/device-profiles';
import { COMMAND_LIMITS, ISSUER_PATTERN } from '@ganzhi/device-profiles/contract';
import { HASH_PATTERN } from '@ganzhi/runtime';
import { type Static, Type } from '@sinclair/typebox';
import { DEFAULT_MAX_SEQ_JUMP, DEFAULT_MAX_STREAMS_PER_GATEWAY } from './completeness/tracker.js';
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
