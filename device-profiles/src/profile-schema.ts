/**
 * The device profile schema: one file per device *model*.
 *
 * A profile lists the model's points and, for each point, exactly one protocol binding
 * (`modbus`, `opcua`, `serial`, or a national protocol's: profile-schema-national.ts).
 * Instances (address, unit id, poll interval) live in gateway configs and simulator
 * scenarios, never here.
 *
 * The TypeBox schemas below are the single definition: they validate at run time, give
 * the TypeScript types, and are emitted as `schema/profile.schema.json` for editors.
 */
import { type Static, Type } from '@sinclair/typebox';
import {
  MEASUREMENT_PATTERN,
  POINT_NAME_PATTERN,
  PROFILE_ID_PATTERN,
  REASON_SUFFIX,
} from './contract/constants.js';
import { DeviceModel } from './model/model-schema.js';
import {
  Cjt188Binding,
  Cjt188Device,
  Dlt645Binding,
  Dlt645Device,
  Hj212Binding,
  Hj212Device,
} from './profile-schema-national.js';

export * from './profile-schema-national.js';

/** Modbus tables, by their names in the Modbus application protocol specification. */
export const ModbusTable = Type.Union(
  [Type.Literal('coil'), Type.Literal('discrete'), Type.Literal('input'), Type.Literal('holding')],
  { description: 'coil (0x), discrete input (1x), input register (3x), holding register (4x)' },
);
export type ModbusTable = Static<typeof ModbusTable>;

export const MODBUS_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
  'bit',
] as const;
export type ModbusType = (typeof MODBUS_TYPES)[number];

/**
 * Byte and word order of a multi-register value, named by where the bytes of the
 * big-endian value A B C D land in the registers:
 * ABCD big-endian; BADC bytes swapped within each word; CDAB words swapped
 * (little-endian word order); DCBA fully little-endian. For 64-bit values the same
 * letters describe the pattern over four words (CDAB = word order reversed).
 */
export const BYTE_ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

export const ModbusBinding = Type.Object(
  {
    table: ModbusTable,
    address: Type.Integer({
      minimum: 0,
      maximum: 65535,
      description: '0-based PDU address (no 4xxxx notation: holding register 40001 is address 0)',
    }),
    type: Type.Union(
      MODBUS_TYPES.map((t) => Type.Literal(t)),
      { description: 'register encoding of the raw value' },
    ),
    order: Type.Optional(
      Type.Union(
        BYTE_ORDERS.map((o) => Type.Literal(o)),
        { description: 'byte/word order; default ABCD (big-endian)' },
      ),
    ),
    length: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 125, description: 'for type string: number of registers' }),
    ),
    bit: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 15, description: 'for type bit: bit index, 0 = LSB' }),
    ),
  },
  { additionalProperties: false },
);
export type ModbusBinding = Static<typeof ModbusBinding>;

export const OPCUA_DATA_TYPES = [
  'Boolean',
  'SByte',
  'Byte',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Float',
  'Double',
  'String',
] as const;
export type OpcuaDataType = (typeof OPCUA_DATA_TYPES)[number];

export const OpcuaBinding = Type.Object(
  {
    nodeId: Type.String({
      pattern: '^(nsu=[^;]+|ns=\\d+);[isgb]=.+$',
      description: 'node id: nsu=<namespace uri>;s=<id> (preferred, stable) or ns=<index>;i=<number>',
    }),
    attribute: Type.Optional(Type.Literal('Value', { description: 'attribute to read; only Value for now' })),
    dataType: Type.Optional(
      Type.Union(
        OPCUA_DATA_TYPES.map((t) => Type.Literal(t)),
        { description: 'OPC UA built-in type of the variable; default from the point type' },
      ),
    ),
    samplingInterval: Type.Optional(
      Type.Integer({ minimum: 0, description: 'requested sampling interval in ms (0 = fastest)' }),
    ),
  },
  { additionalProperties: false },
);
export type OpcuaBinding = Static<typeof OpcuaBinding>;

export const SerialSelector = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('nmea'),
      sentence: Type.String({ pattern: '^[A-Z]{3}$', description: 'sentence formatter, e.g. GGA, RMC' }),
      field: Type.Integer({
        minimum: 1,
        description: 'field number as numbered in NMEA-0183 (1 = first after the address)',
      }),
      decode: Type.Optional(
        Type.Union(
          [Type.Literal('number'), Type.Literal('latitude'), Type.Literal('longitude'), Type.Literal('text')],
          {
            description: 'latitude/longitude read ddmm.mmmm plus the hemisphere field that follows',
          },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('regex'),
      pattern: Type.String({ description: 'JavaScript regular expression matched against one frame' }),
      group: Type.Union([Type.Integer({ minimum: 1 }), Type.String()], {
        description: 'group number or name',
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('column'),
      index: Type.Integer({ minimum: 0, description: '0-based column after splitting the frame' }),
    },
    { additionalProperties: false },
  ),
]);
export type SerialSelector = Static<typeof SerialSelector>;

export const SerialBinding = Type.Object({ select: SerialSelector }, { additionalProperties: false });
export type SerialBinding = Static<typeof SerialBinding>;

/** Device-wide serial line settings: how the byte stream is cut into frames. */
export const SerialLine = Type.Object(
  {
    framing: Type.Union([
      Type.Object(
        {
          kind: Type.Literal('line'),
          terminator: Type.Optional(
            Type.Union([Type.Literal('\r\n'), Type.Literal('\n'), Type.Literal('\r')], {
              description: 'default \\r\\n',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      Type.Object(
        { kind: Type.Literal('delimiter'), delimiter: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
      Type.Object(
        { kind: Type.Literal('fixed'), length: Type.Integer({ minimum: 1, maximum: 4096 }) },
        { additionalProperties: false },
      ),
    ]),
    checksum: Type.Union(
      [Type.Literal('none'), Type.Literal('nmea'), Type.Literal('sum8-hex'), Type.Literal('xor-stx-etx')],
      {
        description:
          'nmea: *HH XOR of the bytes between $ and *; sum8-hex: trailing *HH byte sum mod 256; ' +
          'xor-stx-etx: <STX>body<ETX>HH, HH the XOR of the body bytes (STX and ETX excluded) in hex, ' +
          'ending the frame; selectors, prefix and columns see only the body',
      },
    ),
    columnDelimiter: Type.Optional(
      Type.String({ minLength: 1, description: 'for column selectors; default ","' }),
    ),
    prefix: Type.Optional(
      Type.String({ description: 'frames not starting with this are ignored (column/regex selectors)' }),
    ),
    baudRate: Type.Optional(
      Type.Integer({ minimum: 300, maximum: 921600, description: 'factory default baud rate' }),
    ),
    intervalMs: Type.Optional(
      Type.Integer({ minimum: 10, description: 'how often the device emits a frame' }),
    ),
  },
  { additionalProperties: false },
);
export type SerialLine = Static<typeof SerialLine>;

/** Device-wide Modbus defaults that shape the read plan. */
export const ModbusDevice = Type.Object(
  {
    maxRegistersPerRead: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 125,
        description: 'largest register read the device accepts (<= 125)',
      }),
    ),
    maxBitsPerRead: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2000,
        description: 'largest coil/discrete read the device accepts (<= 2000)',
      }),
    ),
    maxGap: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'unmapped registers a read may span to merge two ranges; default 8',
      }),
    ),
    forbidden: Type.Optional(
      Type.Array(
        Type.Object(
          { table: ModbusTable, from: Type.Integer({ minimum: 0 }), to: Type.Integer({ minimum: 0 }) },
          { additionalProperties: false },
        ),
        {
          description:
            'address ranges (inclusive) the device rejects with exception 02; reads never span them',
        },
      ),
    ),
    defaultOrder: Type.Optional(Type.Union(BYTE_ORDERS.map((o) => Type.Literal(o)))),
    writeMultiple: Type.Optional(
      Type.Boolean({
        description:
          'write single coils and registers with function 15/16 too (devices that refuse 5/6); ' +
          'default false: one coil by 5, one register by 6, anything longer always by 16',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ModbusDevice = Static<typeof ModbusDevice>;

export const PointType = Type.Union(
  [Type.Literal('float'), Type.Literal('integer'), Type.Literal('boolean'), Type.Literal('string')],
  { description: 'engineering value type, which is also the InfluxDB field type' },
);
export type PointType = Static<typeof PointType>;

const pointBase = {
  name: Type.String({
    // a contract point name that does not end in the reason suffix
    pattern: `^(?!.*${REASON_SUFFIX}$)${POINT_NAME_PATTERN.source.slice(1)}`,
    description: 'snake_case, not ending in _reason (reserved for reasons); becomes the InfluxDB field name',
  }),
  description: Type.Optional(Type.String()),
  unit: Type.String({
    description: 'UCUM-style or SI symbol (V, A, kW, kW.h, Cel, %, ug/m3); "1" if dimensionless',
  }),
  type: PointType,
  access: Type.Optional(
    Type.Union([Type.Literal('read'), Type.Literal('read-write')], { description: 'default read' }),
  ),
  scale: Type.Optional(Type.Number({ description: 'engineering = raw * scale + offset' })),
  offset: Type.Optional(Type.Number()),
  enum: Type.Optional(
    Type.Record(Type.String({ pattern: '^-?\\d+$' }), Type.String(), {
      description: 'raw integer value -> label, e.g. {"0": "off", "1": "on"}',
    }),
  ),
  deadband: Type.Optional(
    Type.Number({ minimum: 0, description: 'absolute change below which a value is not reported' }),
  ),
  range: Type.Optional(
    Type.Object(
      { min: Type.Number(), max: Type.Number() },
      {
        additionalProperties: false,
        description: 'plausible engineering range (OPC-UA EURange; probe flags values outside)',
      },
    ),
  ),
};

export const ModbusPoint = Type.Object(
  { ...pointBase, modbus: ModbusBinding },
  { additionalProperties: false },
);
export const OpcuaPoint = Type.Object({ ...pointBase, opcua: OpcuaBinding }, { additionalProperties: false });
export const SerialPoint = Type.Object(
  { ...pointBase, serial: SerialBinding },
  { additionalProperties: false },
);
export type ModbusPoint = Static<typeof ModbusPoint>;
export type OpcuaPoint = Static<typeof OpcuaPoint>;
export type SerialPoint = Static<typeof SerialPoint>;

export const Dlt645Point = Type.Object(
  { ...pointBase, dlt645: Dlt645Binding },
  { additionalProperties: false },
);
export const Cjt188Point = Type.Object(
  { ...pointBase, cjt188: Cjt188Binding },
  { additionalProperties: false },
);
export const Hj212Point = Type.Object({ ...pointBase, hj212: Hj212Binding }, { additionalProperties: false });
export type Dlt645Point = Static<typeof Dlt645Point>;
export type Cjt188Point = Static<typeof Cjt188Point>;
export type Hj212Point = Static<typeof Hj212Point>;

export const Point = Type.Union([ModbusPoint, OpcuaPoint, SerialPoint, Dlt645Point, Cjt188Point, Hj212Point]);
export type Point = Static<typeof Point>;

export const Profile = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    id: Type.String({
      pattern: PROFILE_ID_PATTERN.source,
      description: 'stable id, lower-case kebab; becomes the InfluxDB "model" tag',
    }),
    version: Type.String({
      pattern: '^\\d+\\.\\d+\\.\\d+$',
      description: 'semantic version of this profile',
    }),
    manufacturer: Type.String({ minLength: 1 }),
    model: Type.String({ minLength: 1 }),
    description: Type.String(),
    source: Type.Object(
      {
        document: Type.String({ minLength: 1, description: 'datasheet or manual title and revision' }),
        url: Type.Optional(Type.String()),
        section: Type.Optional(Type.String({ description: 'table or page the points come from' })),
      },
      { additionalProperties: false },
    ),
    measurement: Type.String({
      pattern: MEASUREMENT_PATTERN.source,
      description: 'InfluxDB measurement the points are written to',
    }),
    protocol: Type.Union([
      Type.Literal('modbus'),
      Type.Literal('opcua'),
      Type.Literal('serial'),
      Type.Literal('dlt645'),
      Type.Literal('cjt188'),
      Type.Literal('hj212'),
    ]),
    modbus: Type.Optional(ModbusDevice),
    opcua: Type.Optional(
      Type.Object(
        { namespaceUri: Type.Optional(Type.String()) },
        { additionalProperties: false, description: 'namespace the nsu= node ids refer to' },
      ),
    ),
    serial: Type.Optional(SerialLine),
    dlt645: Type.Optional(Dlt645Device),
    cjt188: Type.Optional(Cjt188Device),
    hj212: Type.Optional(Hj212Device),
    points: Type.Array(Point, { minItems: 1 }),
    relations: Type.Optional(DeviceModel),
  },
  { additionalProperties: false },
);
export type Profile = Static<typeof Profile>;

export const isModbusPoint = (p: Point): p is ModbusPoint => 'modbus' in p;
export const isOpcuaPoint = (p: Point): p is OpcuaPoint => 'opcua' in p;
export const isSerialPoint = (p: Point): p is SerialPoint => 'serial' in p;
export const isDlt645Point = (p: Point): p is Dlt645Point => 'dlt645' in p;
export const isCjt188Point = (p: Point): p is Cjt188Point => 'cjt188' in p;
export const isHj212Point = (p: Point): p is Hj212Point => 'hj212' in p;
