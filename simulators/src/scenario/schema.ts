/**
 * The scenario file: which simulated devices run, on which endpoints, with which signals
 * and faults. One TypeBox schema validates it (every problem named by path and line) and
 * types it.
 */
import { DeviceModel } from '@ganzhi/device-profiles';
import { type Static, Type } from '@sinclair/typebox';
import { FaultSpec } from '../faults/spec.js';
import { SignalSpec } from '../signals/spec.js';

const port = Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port; 0 = any free port' });
const host = Type.Optional(Type.String({ description: 'interface to listen on; default 127.0.0.1' }));

export const Endpoint = Type.Union([
  Type.Object(
    { protocol: Type.Literal('modbus-tcp'), port, host },
    { additionalProperties: false, description: 'Modbus TCP; devices on one port are told apart by unit id' },
  ),
  Type.Object(
    { protocol: Type.Literal('modbus-rtu-tcp'), port, host },
    {
      additionalProperties: false,
      description: 'Modbus RTU frames on a raw TCP port (serial device server)',
    },
  ),
  Type.Object(
    {
      protocol: Type.Literal('modbus-rtu'),
      device: Type.String({ description: 'serial device path, e.g. /dev/ttyUSB0' }),
      baudRate: Type.Optional(Type.Integer({ minimum: 300 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { protocol: Type.Literal('opcua'), port, host },
    { additionalProperties: false, description: 'OPC-UA server; many devices share one server' },
  ),
  Type.Object(
    { protocol: Type.Literal('serial-tcp'), port, host },
    { additionalProperties: false, description: 'serial line device streamed to raw TCP clients' },
  ),
  Type.Object(
    {
      protocol: Type.Literal('serial'),
      device: Type.String({ description: 'serial device path' }),
      baudRate: Type.Optional(Type.Integer({ minimum: 300 })),
    },
    { additionalProperties: false },
  ),
  // national-standard protocols (issue 17): meter buses and data loggers
  Type.Object(
    { protocol: Type.Literal('dlt645-tcp'), port, host },
    {
      additionalProperties: false,
      description:
        'DL/T 645 meter bus on a raw TCP port (serial device server); meters told apart by address',
    },
  ),
  Type.Object(
    {
      protocol: Type.Literal('dlt645'),
      device: Type.String({ description: 'serial device path' }),
      baudRate: Type.Optional(Type.Integer({ minimum: 300 })),
    },
    { additionalProperties: false, description: 'DL/T 645 meter bus on a serial line' },
  ),
  Type.Object(
    { protocol: Type.Literal('cjt188-tcp'), port, host },
    {
      additionalProperties: false,
      description:
        'CJ/T 188 meter bus on a raw TCP port (serial device server); meters told apart by address',
    },
  ),
  Type.Object(
    {
      protocol: Type.Literal('cjt188'),
      device: Type.String({ description: 'serial device path' }),
      baudRate: Type.Optional(Type.Integer({ minimum: 300 })),
    },
    { additionalProperties: false, description: 'CJ/T 188 meter bus on a serial line' },
  ),
  Type.Object(
    {
      protocol: Type.Literal('hj212'),
      port: Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'the platform’s (the agent’s) listener port',
      }),
      host: Type.Optional(Type.String({ description: 'the platform’s host; default 127.0.0.1' })),
      ack: Type.Optional(
        Type.Boolean({ description: 'ask for a 9014 acknowledgement (Flag 5); default true' }),
      ),
      ackTimeoutMs: Type.Optional(
        Type.Integer({ minimum: 10, description: 're-send after this; default 5000' }),
      ),
    },
    {
      additionalProperties: false,
      description: 'HJ 212 data logger that connects OUT to the platform (each device its own logger)',
    },
  ),
]);
export type Endpoint = Static<typeof Endpoint>;

export const DeviceSpec = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
      description: 'device id; with `repeat`, the copies are <id>-001, <id>-002, …',
    }),
    profile: Type.String({ description: 'profile id (builtin or from profileDirs)' }),
    district: Type.Optional(Type.String({ description: 'informational: where the device stands' })),
    gateway: Type.Optional(Type.String({ description: 'informational: the gateway meant to read it' })),
    endpoint: Endpoint,
    unit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 247,
        description: 'Modbus unit id (default 1); with repeat, the first',
      }),
    ),
    seed: Type.Optional(Type.Integer({ description: 'default: the scenario seed' })),
    signals: Type.Optional(Type.Record(Type.String(), SignalSpec, { description: 'per point name' })),
    faults: Type.Optional(Type.Array(FaultSpec)),
    relations: Type.Optional(
      Type.Composite([DeviceModel], {
        additionalProperties: false,
        description:
          "this device's changes to its profile's relations: params (e.g. a pump's duty point) replace the profile's, derived adds or replaces a point's relation, checks are added",
      }),
    ),
    strictAddresses: Type.Optional(
      Type.Boolean({ description: 'exception 02 for every unmapped address, not only outside the map' }),
    ),
    intervalMs: Type.Optional(
      Type.Integer({
        minimum: 10,
        description: 'serial devices: emit period; HJ 212 loggers: real-time period',
      }),
    ),
    address: Type.Optional(
      Type.String({
        pattern: '^[0-9]{12}([0-9]{2})?$',
        description:
          'DL/T 645 meters: 12-digit address; CJ/T 188 meters: 14 digits. With repeat, the first (then +1 each)',
      }),
    ),
    mn: Type.Optional(
      Type.String({
        pattern: '^[0-9A-Za-z._-]{1,24}$',
        description: 'HJ 212 loggers: the MN; with repeat, its trailing digits count up',
      }),
    ),
    pw: Type.Optional(
      Type.String({
        description: 'HJ 212 loggers: the PW sent in every packet (a wrong one is a fault to test)',
      }),
    ),
    repeat: Type.Optional(
      Type.Object(
        {
          count: Type.Integer({ minimum: 1, maximum: 100_000 }),
          perEndpoint: Type.Optional(
            Type.Integer({
              minimum: 1,
              description: 'copies per port (Modbus: unit ids unit, unit+1, …); then the port goes up by one',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type DeviceSpec = Static<typeof DeviceSpec>;

export const Scenario = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
    seed: Type.Optional(Type.Integer({ description: 'default seed of every device; default 1' })),
    profileDirs: Type.Optional(
      Type.Array(Type.String(), { description: 'extra profile directories, relative to this file' }),
    ),
    control: Type.Optional(
      Type.Object(
        { port: Type.Optional(port), host },
        { additionalProperties: false, description: 'control API listener (ground truth, faults)' },
      ),
    ),
    opcua: Type.Optional(
      Type.Object(
        {
          pkiDir: Type.Optional(
            Type.String({ description: 'certificates folder; default a temp dir per run' }),
          ),
          tickMs: Type.Optional(Type.Integer({ minimum: 10 })),
          modes: Type.Optional(
            Type.Array(
              Type.Union([Type.Literal('None'), Type.Literal('Sign'), Type.Literal('SignAndEncrypt')]),
            ),
          ),
          users: Type.Optional(
            Type.Array(
              Type.Object(
                { username: Type.String(), password: Type.String() },
                { additionalProperties: false },
              ),
            ),
          ),
          allowAnonymous: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    devices: Type.Array(DeviceSpec, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type Scenario = Static<typeof Scenario>;

/** The JSON Schema of scenario files (shipped as schema/scenario.schema.json for editors). */
export function scenarioJsonSchema(): string {
  return `${JSON.stringify(
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Ganzhi simulator scenario',
      ...Scenario,
    },
    null,
    2,
  )}\n`;
}
