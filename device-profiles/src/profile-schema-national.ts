/**
 * The profile schema's bindings for the national meter and monitor protocols (issue 17):
 * DL/T 645 (electricity meters), CJ/T 188 (water, heat, gas meters), HJ 212 (environmental
 * data loggers) — per point and device-wide. Part of the one definition in profile-schema.ts,
 * which re-exports everything here.
 */
import { type Static, Type } from '@sinclair/typebox';

/**
 * DL/T 645 binding: the data identifier to read (8 hex digits, 2007; 4, 1997). Identifiers in
 * the codec's table (DL/T 645-2007 Appendix A) carry their format and sign rule; others need
 * `format` in the standard's notation (XXXXXX.XX) and `signed` when the top bit is a sign.
 */
export const Dlt645Binding = Type.Object(
  {
    dataId: Type.String({
      pattern: '^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{4})$',
      description:
        'data identifier DI3 DI2 DI1 DI0 as printed in the standard, e.g. 02010100 (phase A voltage)',
    }),
    format: Type.Optional(
      Type.String({
        pattern: '^X+(\\.X+)?$',
        description: 'BCD format, e.g. XXX.XXX; default from the table',
      }),
    ),
    signed: Type.Optional(
      Type.Boolean({ description: 'most significant bit is the sign; default from the table' }),
    ),
  },
  { additionalProperties: false },
);
export type Dlt645Binding = Static<typeof Dlt645Binding>;

/** Items of the CJ/T 188 read-data reply (DI 901F), by meter kind. */
export const CJT188_FIELDS = [
  'current-flow',
  'settlement-flow',
  'settlement-heat',
  'current-heat',
  'heat-power',
  'flow-rate',
  'accumulated-flow',
  'supply-temperature',
  'return-temperature',
  'working-hours',
  'valve',
  'battery-low',
] as const;
export type Cjt188Field = (typeof CJT188_FIELDS)[number];

export const Cjt188Binding = Type.Object(
  {
    field: Type.Union(
      CJT188_FIELDS.map((f) => Type.Literal(f)),
      {
        description:
          'item of the read-data reply; flow items for water/gas meters, heat items for heat meters',
      },
    ),
  },
  { additionalProperties: false },
);
export type Cjt188Binding = Static<typeof Cjt188Binding>;

export const HJ212_VALUE_FIELDS = ['Rtd', 'Avg', 'Min', 'Max', 'Cou'] as const;
export const HJ212_DATA_COMMANDS = ['2011', '2051', '2061', '2031'] as const;

/**
 * HJ 212 binding: a pollutant code of HJ 212-2017 Appendix B (a34004 PM2.5, w01018 COD …), the
 * value field (Rtd real-time; Avg/Min/Max/Cou of a period) and the data command carrying it
 * (2011 real-time, 2051 minute, 2061 hour, 2031 day; default 2011 for Rtd).
 */
export const Hj212Binding = Type.Object(
  {
    code: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]{1,11}$', description: 'pollutant code, e.g. a34004' }),
    field: Type.Optional(
      Type.Union(
        HJ212_VALUE_FIELDS.map((f) => Type.Literal(f)),
        { description: 'default Rtd' },
      ),
    ),
    cn: Type.Optional(
      Type.Union(
        HJ212_DATA_COMMANDS.map((c) => Type.Literal(c)),
        { description: 'data command: 2011 real-time (default for Rtd), 2051 minute, 2061 hour, 2031 day' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Hj212Binding = Static<typeof Hj212Binding>;

/** Device-wide DL/T 645 settings. */
export const Dlt645Device = Type.Object(
  {
    version: Type.Optional(
      Type.Union([Type.Literal('2007'), Type.Literal('1997')], { description: 'default 2007' }),
    ),
    baudRate: Type.Optional(
      Type.Integer({ minimum: 300, maximum: 115200, description: 'factory default, typically 2400' }),
    ),
    parity: Type.Optional(
      Type.Union([Type.Literal('even'), Type.Literal('none'), Type.Literal('odd')], {
        description: 'default even (8E1)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Device-wide CJ/T 188 settings. */
export const Cjt188Device = Type.Object(
  {
    meterType: Type.Integer({
      minimum: 0,
      maximum: 255,
      description:
        'meter type byte T: 16 (10h) cold water, 17 hot water, 32 (20h) heat, 33 cooling, 48 (30h) gas',
    }),
    baudRate: Type.Optional(Type.Integer({ minimum: 300, maximum: 115200 })),
  },
  { additionalProperties: false },
);

/** Device-wide HJ 212 settings. */
export const Hj212Device = Type.Object(
  {
    st: Type.Optional(
      Type.String({
        pattern: '^\\d{2,5}$',
        description: 'system code ST: 22 ambient air, 21 surface water, 31/32 pollution sources',
      }),
    ),
    intervalMs: Type.Optional(
      Type.Integer({ minimum: 1000, description: 'real-time data interval (simulators)' }),
    ),
  },
  { additionalProperties: false },
);
