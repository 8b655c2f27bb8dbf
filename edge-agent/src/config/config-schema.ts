/**
 * The gateway config: one YAML file per gateway. This TypeBox schema is the single
 * definition — it validates at start-up, gives the TypeScript types, and is emitted as
 * edge-agent/schema/config.schema.json for editors (`ganzhi-agent schema`).
 *
 * Any string value may be `${ENV:NAME}` or `${FILE:/path}` (whole value), resolved at load:
 * secrets never need to be written into the file.
 */
import { type Static, Type } from '@sinclair/typebox';
import { DeliveryConfig, HttpConfig } from './delivery-schema.js';

const Id = (description: string) =>
  Type.String({
    pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
    description: `${description}; lower-case [a-z0-9_-]`,
  });

const Ms = (description: string, minimum = 1) =>
  Type.Integer({ minimum, description: `${description}, in ms` });

export const BackoffConfig = Type.Object(
  {
    failures: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'failed cycles in a row before the device is backed off; default 3',
      }),
    ),
    initialMs: Type.Optional(Ms('first backoff period; default 5000')),
    maxMs: Type.Optional(Ms('longest backoff period; default 60000')),
  },
  {
    additionalProperties: false,
    description: 'how a device that stopped answering is skipped and re-probed',
  },
);

export const ReportByExceptionConfig = Type.Object(
  {
    enabled: Type.Boolean({ description: 'report a point only when it changes (beyond its deadband)' }),
    maxSilenceMs: Type.Optional(Ms('heartbeat: report every point at least this often; default 60000')),
  },
  { additionalProperties: false },
);

export const PointOverride = Type.Object(
  {
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
    deadband: Type.Optional(Type.Number({ minimum: 0 })),
    range: Type.Optional(
      Type.Object({ min: Type.Number(), max: Type.Number() }, { additionalProperties: false }),
    ),
    order: Type.Optional(
      Type.Union([Type.Literal('ABCD'), Type.Literal('BADC'), Type.Literal('CDAB'), Type.Literal('DCBA')], {
        description: 'Modbus byte/word order for this point',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ModbusOverride = Type.Object(
  {
    maxRegistersPerRead: Type.Optional(Type.Integer({ minimum: 1, maximum: 125 })),
    maxBitsPerRead: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
    maxGap: Type.Optional(Type.Integer({ minimum: 0 })),
    defaultOrder: Type.Optional(
      Type.Union([Type.Literal('ABCD'), Type.Literal('BADC'), Type.Literal('CDAB'), Type.Literal('DCBA')]),
    ),
  },
  { additionalProperties: false, description: 'overrides of the profile’s Modbus read-plan settings' },
);

export const OpcuaOptions = Type.Object(
  {
    securityMode: Type.Optional(
      Type.Union([Type.Literal('None'), Type.Literal('Sign'), Type.Literal('SignAndEncrypt')], {
        description: 'default None',
      }),
    ),
    securityPolicy: Type.Optional(
      Type.Union(
        [
          Type.Literal('None'),
          Type.Literal('Basic256Sha256'),
          Type.Literal('Aes128_Sha256_RsaOaep'),
          Type.Literal('Aes256_Sha256_RsaPss'),
        ],
        { description: 'default Basic256Sha256 when securityMode is not None' },
      ),
    ),
    identity: Type.Optional(
      Type.Union([
        Type.Object({ type: Type.Literal('anonymous') }, { additionalProperties: false }),
        Type.Object(
          {
            type: Type.Literal('username'),
            username: Type.String(),
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the description shows the reference syntax
            password: Type.String({ description: 'use ${ENV:NAME} or ${FILE:/path}' }),
          },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            type: Type.Literal('certificate'),
            certificateFile: Type.String(),
            privateKeyFile: Type.String(),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    pkiDir: Type.Optional(
      Type.String({ description: 'client certificate store; default <stateDir>/pki/opcua' }),
    ),
    namespaceUri: Type.Optional(
      Type.String({
        description:
          "the URI this server uses for the profile's namespace, when it differs (e.g. one server hosting several stations)",
      }),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('subscribe'), Type.Literal('poll')], {
        description: 'subscribe (monitored items, default) or poll (Read service each interval)',
      }),
    ),
    samplingIntervalMs: Type.Optional(Ms('monitored-item sampling interval; default the poll interval', 0)),
    queueSize: Type.Optional(
      Type.Integer({ minimum: 1, description: 'monitored-item queue size; default 10' }),
    ),
    watchdogMs: Type.Optional(
      Ms(
        'no keep-alive, notification or successful read for this long → rebuild the session; default max(3 s, 12 × min(poll interval, 1 s)); a polled session at least 2 × poll interval + timeout',
      ),
    ),
  },
  { additionalProperties: false },
);

export const DeviceConfig = Type.Object(
  {
    id: Id('device instance id, unique in this gateway; becomes the InfluxDB "device" tag'),
    profile: Type.String({ minLength: 1, description: 'device profile id (see `ganzhi-profiles list`)' }),
    endpoint: Type.String({
      minLength: 1,
      description:
        'modbus-tcp://host:port | modbus-rtu:///dev/ttyUSB0?baud=9600&parity=N | modbus-rtutcp://host:port | ' +
        'opc.tcp://host:port | serial:///dev/ttyS0?baud=4800 | serial-tcp://host:port',
    }),
    unitId: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 255, description: 'Modbus unit (slave) id; default 1' }),
    ),
    pollIntervalMs: Type.Optional(Ms('poll interval; default defaults.pollIntervalMs', 10)),
    timeoutMs: Type.Optional(Ms('response timeout per request; default defaults.timeoutMs')),
    retries: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10,
        description: 'extra attempts per request; default defaults.retries',
      }),
    ),
    enabled: Type.Optional(
      Type.Boolean({ description: 'false: keep the entry but do not poll; default true' }),
    ),
    points: Type.Optional(
      Type.Array(Type.String(), {
        minItems: 1,
        description: 'read only these points of the profile; default all',
      }),
    ),
    pointOverrides: Type.Optional(
      Type.Record(Type.String(), PointOverride, { description: 'per point name' }),
    ),
    modbus: Type.Optional(ModbusOverride),
    opcua: Type.Optional(OpcuaOptions),
    backoff: Type.Optional(BackoffConfig),
    reportByException: Type.Optional(ReportByExceptionConfig),
  },
  { additionalProperties: false },
);

export const DefaultsConfig = Type.Object(
  {
    pollIntervalMs: Type.Optional(Ms('default 1000', 10)),
    timeoutMs: Type.Optional(Ms('default 1000')),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'default 1' })),
    backoff: Type.Optional(BackoffConfig),
    reportByException: Type.Optional(ReportByExceptionConfig),
  },
  { additionalProperties: false },
);

export const AgentConfig = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    gateway: Id('gateway id; becomes the MQTT topic level and the "gateway" tag'),
    district: Id('district id (区/县)'),
    profileDirs: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'extra folders of profile YAML files (relative to this file); builtin profiles are always there',
      }),
    ),
    stateDir: Type.Optional(Type.String({ description: 'where the agent keeps its state; default ./state' })),
    defaults: Type.Optional(DefaultsConfig),
    devices: Type.Array(DeviceConfig, { description: 'the field devices this gateway reads' }),
    delivery: Type.Optional(DeliveryConfig),
    http: Type.Optional(HttpConfig),
  },
  { additionalProperties: false },
);

export type AgentConfig = Static<typeof AgentConfig>;
export type DeviceConfig = Static<typeof DeviceConfig>;
export type DefaultsConfig = Static<typeof DefaultsConfig>;
export type OpcuaOptions = Static<typeof OpcuaOptions>;
export type PointOverride = Static<typeof PointOverride>;

export const DEFAULTS = {
  pollIntervalMs: 1000,
  timeoutMs: 1000,
  retries: 1,
  unitId: 1,
  backoff: { failures: 3, initialMs: 5000, maxMs: 60_000 },
  maxSilenceMs: 60_000,
} as const;

/** The JSON Schema shipped for editors (edge-agent/schema/config.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://ganzhi.dev/schema/edge-agent/config.schema.json',
    title: 'Ganzhi edge-agent gateway config',
    ...JSON.parse(JSON.stringify(AgentConfig)),
  };
}
