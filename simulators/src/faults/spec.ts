/**
 * Fault specifications: scheduled in a scenario or injected at run time through the
 * control API. A fault is active from its start (at / after) for `for` ms (forever when
 * absent) and, with `probability`, hits each request or sample with that chance.
 */
import { type Static, Type } from '@sinclair/typebox';

export const FAULT_KINDS = [
  'latency', // every answer delayed by ms (+ jitterMs)
  'timeout', // no answer at all
  'exception', // Modbus exception `code` (default 4, server device failure)
  'bad-crc', // RTU: wrong CRC; TCP: treated as garbled
  'garbled', // response bytes overwritten with noise
  'truncated', // only part of the response is sent
  'refuse', // new connections closed at once; requests to the unit drop the connection
  'drop', // the connection is closed instead of answering
  'stuck', // value frozen (at `value` or the value when the fault began)
  'spike', // value + `magnitude` (default 10 × the value's size)
  'status', // OPC-UA status Bad or Uncertain (`status`)
  'garbage', // serial: random bytes before a frame
  'partial-line', // serial: a frame cut short
  'bad-checksum', // serial: wrong NMEA / sum8-hex / STX-ETX XOR checksum
  'clock-skew', // device timestamps shifted by ms
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const FaultSpec = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' })),
    kind: Type.Union(
      FAULT_KINDS.map((k) => Type.Literal(k)),
      { description: FAULT_KINDS.join(', ') },
    ),
    ms: Type.Optional(Type.Number({ description: 'latency: added delay; clock-skew: offset (may be < 0)' })),
    jitterMs: Type.Optional(Type.Number({ minimum: 0 })),
    code: Type.Optional(Type.Integer({ minimum: 1, maximum: 255, description: 'exception code' })),
    value: Type.Optional(Type.Number({ description: 'stuck: the frozen value' })),
    magnitude: Type.Optional(Type.Number({ description: 'spike: added to the value' })),
    status: Type.Optional(Type.Union([Type.Literal('bad'), Type.Literal('uncertain')])),
    points: Type.Optional(
      Type.Array(Type.String(), { description: 'limit stuck/spike/status to these points' }),
    ),
    at: Type.Optional(
      Type.Union(
        [
          Type.String({
            pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})$',
            description: 'ISO 8601 date-time with zone, e.g. 2026-01-01T08:00:00+08:00',
          }),
          Type.Number(),
        ],
        {
          description: 'start: ISO date-time or epoch ms',
        },
      ),
    ),
    after: Type.Optional(
      Type.Number({ minimum: 0, description: 'start: ms after the scenario start (or after injection)' }),
    ),
    for: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'duration in ms; default forever' })),
    probability: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'chance per request/sample; default 1' }),
    ),
  },
  { additionalProperties: false },
);
export type FaultSpec = Static<typeof FaultSpec>;
