/**
 * TypeBox schemas of the hub API: one schema validates the query, serializes the reply
 * and (through Static) types the handler.
 */
import { ID_PATTERN } from '@ganzhi/device-profiles/contract';
import { type Static, Type } from '@sinclair/typebox';

const Id = Type.String({ pattern: ID_PATTERN.source });
const Ms = Type.Integer({ minimum: 0 });
const NullableMs = Type.Union([Type.Number(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const Completeness = Type.Object({
  received: Type.Number(),
  expected: Type.Number(),
  gaps: Type.Number(),
  duplicates: Type.Number(),
  late: Type.Number(),
  /** received / expected; null when nothing was expected */
  ratio: Type.Union([Type.Number(), Type.Null()]),
});
export type Completeness = Static<typeof Completeness>;

export const GatewayCounts = Type.Object({
  online: Type.Number(),
  offline: Type.Number(),
  unknown: Type.Number(),
});
export const DeviceCounts = Type.Object({
  up: Type.Number(),
  degraded: Type.Number(),
  down: Type.Number(),
  unknown: Type.Number(),
});
export type GatewayCounts = Static<typeof GatewayCounts>;
export type DeviceCounts = Static<typeof DeviceCounts>;

export const GatewayRow = Type.Object({
  gateway: Type.String(),
  state: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown')]),
  since: NullableMs,
  stream: NullableString,
  agent: NullableString,
  version: NullableString,
  lastSeen: NullableMs,
  devices: DeviceCounts,
  completeness: Completeness,
});
export type GatewayRow = Static<typeof GatewayRow>;

const DeviceState = Type.Union([
  Type.Literal('up'),
  Type.Literal('degraded'),
  Type.Literal('down'),
  Type.Literal('unknown'),
]);

/** A device that needs a look: down first, then degraded. */
export const AttentionRow = Type.Object({
  gateway: Type.String(),
  device: Type.String(),
  model: NullableString,
  state: DeviceState,
  since: NullableMs,
  lastError: NullableString,
});
export type AttentionRow = Static<typeof AttentionRow>;

export const DistrictRow = Type.Object({
  district: Type.String(),
  gatewayCounts: GatewayCounts,
  deviceCounts: DeviceCounts,
  completeness: Completeness,
  pointsPerSecond: Type.Number(),
  gateways: Type.Array(GatewayRow),
  /** the district's devices that are down or degraded, down first */
  attention: Type.Array(AttentionRow),
});
export type DistrictRow = Static<typeof DistrictRow>;

export const Overview = Type.Object({
  now: Type.Number(),
  window: Type.Object({ from: Type.Number(), to: Type.Number() }),
  totals: Type.Object({
    gatewayCounts: GatewayCounts,
    deviceCounts: DeviceCounts,
    completeness: Completeness,
    pointsPerSecond: Type.Number(),
  }),
  districts: Type.Array(DistrictRow),
});
export type Overview = Static<typeof Overview>;

export const DevicesQuery = Type.Object({ district: Type.Optional(Id), gateway: Type.Optional(Id) });
export type DevicesQuery = Static<typeof DevicesQuery>;

export const DeviceRow = Type.Object({
  district: Type.String(),
  gateway: Type.String(),
  device: Type.String(),
  model: NullableString,
  measurement: NullableString,
  state: DeviceState,
  since: NullableMs,
  lastError: NullableString,
  lastSeen: NullableMs,
  points: Type.Number(),
});
export const DevicesReply = Type.Object({ devices: Type.Array(DeviceRow) });
export type DevicesReply = Static<typeof DevicesReply>;

export const DeviceQuery = Type.Object({ district: Id, gateway: Id, device: Id });
export type DeviceQuery = Static<typeof DeviceQuery>;

export const PointsReply = Type.Object({
  district: Type.String(),
  gateway: Type.String(),
  device: Type.String(),
  model: NullableString,
  measurement: NullableString,
  points: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String(),
      /** UCUM, as stored */
      unit: Type.String(),
      access: Type.String(),
      /** the profile's range (for the control of a writable point); null when unknown */
      range: Type.Union([Type.Object({ min: Type.Number(), max: Type.Number() }), Type.Null()]),
      /** the unit as people write it (°C, kWh, ppb); '' for none */
      symbol: Type.String(),
      /** decimals of the point's resolution; null when not a number */
      decimals: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
});
export type PointsReply = Static<typeof PointsReply>;

export const SeriesQuery = Type.Object({
  district: Id,
  gateway: Id,
  device: Id,
  point: Type.String({ minLength: 1, maxLength: 128 }),
  /** defaults to the device's measurement */
  measurement: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** ms since the epoch; default `to` - 10 minutes */
  from: Type.Optional(Ms),
  /** ms since the epoch; default now */
  to: Type.Optional(Ms),
  /** bucket width, ms (mean per bucket); chosen automatically past one hour of span */
  every: Type.Optional(Type.Integer({ minimum: 100 })),
});
export type SeriesQuery = Static<typeof SeriesQuery>;

export const SeriesReply = Type.Object({
  measurement: Type.String(),
  point: Type.String(),
  unit: Type.String(),
  symbol: Type.String(),
  decimals: Type.Union([Type.Integer(), Type.Null()]),
  from: Type.Number(),
  to: Type.Number(),
  every: NullableMs,
  samples: Type.Array(Type.Object({ ts: Type.Number(), value: Type.Union([Type.Number(), Type.Null()]) })),
});
export type SeriesReply = Static<typeof SeriesReply>;

export const TrendQuery = Type.Object({
  /** hours back from the current hour (default 24, at most 168: the tracker keeps 7 days) */
  hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 168 })),
  district: Type.Optional(Id),
});
export type TrendQuery = Static<typeof TrendQuery>;

export const TrendBucket = Type.Object({
  /** the hour's start, ms since the epoch (receive time) */
  hour: Type.Number(),
  received: Type.Number(),
  expected: Type.Number(),
  gaps: Type.Number(),
  duplicates: Type.Number(),
  /** received / expected; null when nothing was expected in that hour */
  ratio: Type.Union([Type.Number(), Type.Null()]),
});
export type TrendBucket = Static<typeof TrendBucket>;

export const TrendReply = Type.Object({
  now: Type.Number(),
  /** the first hour's start; buckets run hourly from here, the last is the current hour */
  from: Type.Number(),
  hours: Type.Integer(),
  districts: Type.Array(
    Type.Object({
      district: Type.String(),
      /** over the whole window */
      total: TrendBucket,
      buckets: Type.Array(TrendBucket),
    }),
  ),
});
export type TrendReply = Static<typeof TrendReply>;

export const ErrorReply = Type.Object({ code: Type.String(), message: Type.String() });
export type ErrorReply = Static<typeof ErrorReply>;
