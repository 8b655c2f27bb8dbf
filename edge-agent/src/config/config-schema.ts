/**
 * The gateway config: one YAML file per gateway. This TypeBox schema is the single
 * definition — it validates at start-up, gives the TypeScript types, and is emitted as
 * edge-agent/schema/config.schema.json for editors (`ganzhi-agent schema`).
 *
 * It is composed, not written out: a device entry is the fields every device has plus the
 * fields each protocol owns (drivers/<protocol>/options.ts, through the protocol table), and
 * the `delivery` and `http` sections are their owners' schemas.
 *
 * Any string value may be `${ENV:NAME}` or `${FILE:/path}` (whole value), resolved at load:
 * secrets never need to be written into the file.
 */
import { type Static, type TProperties, Type } from '@sinclair/typebox';
import { DeliveryConfig } from '../delivery/delivery-schema.js';
import { protocolModules } from '../drivers/protocols.js';
import { HttpConfig } from '../http/http-schema.js';

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

/** What every device entry has, whatever its protocol. */
const COMMON_DEVICE_FIELDS = {
  id: Id('device instance id, unique in this gateway; becomes the InfluxDB "device" tag'),
  profile: Type.String({ minLength: 1, description: 'device profile id (see `ganzhi-profiles list`)' }),
  endpoint: Type.String({
    minLength: 1,
    description: protocolModules.flatMap((m) => Object.values<string>(m.schemes)).join(' | '),
  }),
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
  pointOverrides: Type.Optional(Type.Record(Type.String(), PointOverride, { description: 'per point name' })),
  backoff: Type.Optional(BackoffConfig),
  reportByException: Type.Optional(ReportByExceptionConfig),
};

/** The config keys each protocol adds to a device entry, by key (a key belongs to one protocol). */
export const PROTOCOL_DEVICE_FIELDS: ReadonlyMap<string, string> = new Map(
  protocolModules.flatMap((m) => Object.keys(m.deviceFields).map((k) => [k, m.protocol] as const)),
);

const protocolFields: TProperties = Object.assign({}, ...protocolModules.map((m) => m.deviceFields));

export const DeviceConfig = Type.Object(
  { ...COMMON_DEVICE_FIELDS, ...protocolFields },
  {
    additionalProperties: false,
    description: 'one field device; the protocol-specific keys must fit its endpoint’s protocol',
  },
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

export const CommandsConfig = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        description:
          'false: a read-only site — every command is answered rejected and nothing is written; default true',
      }),
    ),
  },
  { additionalProperties: false, description: 'commands from the hub (issue 15)' },
);

export const AgentConfig = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    gateway: Id('gateway id; becomes the MQTT topic level and the "gateway" tag'),
    district: Id('district id (区/县)'),
    labels: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }), {
        maxItems: 16,
        uniqueItems: true,
        description:
          'fleet labels (e.g. "streetlights", "pilot"): the hub can push a configuration to every gateway with a label',
      }),
    ),
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
    commands: Type.Optional(CommandsConfig),
  },
  { additionalProperties: false },
);

export type AgentConfig = Static<typeof AgentConfig>;
/** A device entry: the common fields; protocol fields are read by their protocol module. */
export type DeviceConfig = Static<typeof DeviceConfig> & Record<string, unknown>;
export type DefaultsConfig = Static<typeof DefaultsConfig>;
export type PointOverride = Static<typeof PointOverride>;

export const DEFAULTS = {
  pollIntervalMs: 1000,
  timeoutMs: 1000,
  retries: 1,
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
