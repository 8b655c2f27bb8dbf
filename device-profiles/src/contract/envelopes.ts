/**
 * Wire contract v1 — the JSON envelopes carried on the topics of `topics.ts`.
 *
 * Every envelope has `v: 1`. Decoders are strict about the envelope (a wrong header makes
 * the whole message invalid, with a reason) and lenient about individual readings: a
 * reading that fails its checks is returned in `rejected` with its index and reason, and
 * its valid neighbours are kept.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { CommandRequest, CommandResult } from './commands.js';
import {
  ENVELOPE_VERSION,
  ID_PATTERN,
  LIMITS,
  LONE_SURROGATE,
  MEASUREMENT_PATTERN,
  POINT_NAME_PATTERN,
  PROFILE_ID_PATTERN,
  REASON_SUFFIX,
  STREAM_PATTERN,
} from './constants.js';
import { ConfigState, DesiredConfig } from './fleet.js';
import { checkParsed, firstError, parseJson } from './json-check.js';

const Id = Type.String({ pattern: ID_PATTERN.source });
const PointName = Type.String({ pattern: POINT_NAME_PATTERN.source });
const Measurement = Type.String({ pattern: MEASUREMENT_PATTERN.source });
const Stream = Type.String({ pattern: STREAM_PATTERN.source });
const Ms = Type.Integer({ minimum: 0, description: 'ms since the Unix epoch' });

export const QualitySchema = Type.Union([
  Type.Literal('good'),
  Type.Literal('uncertain'),
  Type.Literal('bad'),
]);

export const WireReading = Type.Object(
  {
    point: PointName,
    value: Type.Union([
      Type.Number(),
      Type.Boolean(),
      Type.String({ maxLength: LIMITS.maxStringValue }),
      Type.Null(),
    ]),
    ts: Ms,
    quality: QualitySchema,
    reason: Type.Optional(Type.String({ maxLength: LIMITS.maxReason })),
    unit: Type.Optional(Type.String({ maxLength: LIMITS.maxUnit })),
  },
  { additionalProperties: false },
);
export type WireReading = Static<typeof WireReading>;

export const DataBatch = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    district: Id,
    gateway: Id,
    device: Id,
    model: Type.String({ pattern: PROFILE_ID_PATTERN.source, description: 'profile id' }),
    measurement: Measurement,
    stream: Type.String({
      pattern: STREAM_PATTERN.source,
      description: 'fixed when the gateway store was created',
    }),
    seq: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'gateway stream sequence number',
    }),
    sent: Ms,
    readings: Type.Array(WireReading, { maxItems: LIMITS.maxReadings }),
  },
  { additionalProperties: false },
);
export type DataBatch = Static<typeof DataBatch>;

export const GatewayState = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    ts: Ms,
    agent: Type.Optional(Type.String({ maxLength: 64 })),
    version: Type.Optional(Type.String({ maxLength: 32 })),
    devices: Type.Optional(Type.Array(Id, { maxItems: LIMITS.maxBirthDevices })),
    stream: Type.Optional(Stream),
  },
  { additionalProperties: false },
);
export type GatewayState = Static<typeof GatewayState>;

export const DeviceMeta = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    profile: Type.String({ pattern: PROFILE_ID_PATTERN.source }),
    profileVersion: Type.String({ maxLength: 32 }),
    model: Type.String({ maxLength: 128 }),
    manufacturer: Type.String({ maxLength: 128 }),
    measurement: Measurement,
    points: Type.Array(
      Type.Object(
        {
          name: PointName,
          type: Type.Union([
            Type.Literal('float'),
            Type.Literal('integer'),
            Type.Literal('boolean'),
            Type.Literal('string'),
          ]),
          unit: Type.String({ maxLength: LIMITS.maxUnit }),
          access: Type.Union([Type.Literal('read'), Type.Literal('read-write')]),
        },
        { additionalProperties: false },
      ),
      { maxItems: LIMITS.maxMetaPoints },
    ),
  },
  { additionalProperties: false },
);
export type DeviceMeta = Static<typeof DeviceMeta>;

export const DeviceStatus = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    state: Type.Union([
      Type.Literal('up'),
      Type.Literal('degraded'),
      Type.Literal('down'),
      Type.Literal('unknown'),
    ]),
    ts: Ms,
    since: Ms,
    lastError: Type.Optional(Type.String({ maxLength: LIMITS.maxReason })),
    counters: Type.Optional(Type.Record(Type.String({ pattern: POINT_NAME_PATTERN.source }), Type.Number())),
  },
  { additionalProperties: false },
);
export type DeviceStatus = Static<typeof DeviceStatus>;

/** The schemas of contract v1, by file name, for JSON Schema emission. */
export const CONTRACT_SCHEMAS: Record<string, TSchema> = {
  'data-batch': DataBatch,
  'gateway-state': GatewayState,
  'device-meta': DeviceMeta,
  'device-status': DeviceStatus,
  'command-request': CommandRequest,
  'command-result': CommandResult,
  'desired-config': DesiredConfig,
  'config-state': ConfigState,
};

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };
export interface RejectedReading {
  index: number;
  point: string;
  reason: string;
}
export type DecodedBatch =
  | { ok: true; value: DataBatch; rejected: RejectedReading[] }
  | { ok: false; error: string };

export interface DecodeOptions {
  /** receiver clock, for the far-future check; default Date.now() */
  now?: number;
}

const batchHeader = TypeCompiler.Compile(
  Type.Object(
    { ...DataBatch.properties, readings: Type.Array(Type.Unknown(), { maxItems: LIMITS.maxReadings }) },
    { additionalProperties: false },
  ),
);
const readingCheck = TypeCompiler.Compile(WireReading);
const stateCheck = TypeCompiler.Compile(GatewayState);
const metaCheck = TypeCompiler.Compile(DeviceMeta);
const statusCheck = TypeCompiler.Compile(DeviceStatus);

function readingProblem(r: unknown, now: number): string | undefined {
  const value = (r as { value?: unknown } | null)?.value;
  if (typeof value === 'number' && !Number.isFinite(value)) return 'value: not a finite number';
  if (!readingCheck.Check(r)) return firstError(readingCheck, r);
  const reading = r as WireReading;
  if (reading.ts < LIMITS.minTs) return `ts: ${reading.ts} is before 2000-01-01`;
  if (reading.ts > now + LIMITS.maxFutureMs) return `ts: ${reading.ts} is more than 24 h in the future`;
  if (reading.quality === 'good' && reading.value === null) return 'value: null with quality good';
  return undefined;
}

/**
 * What only the receiving side checks (the hub stores what it accepts; these would be
 * stored wrongly): a point named `<x>_reason` collides with the reason field of point `x`
 * (InfluxDB field, SQLite reason column); a string with a lone UTF-16 surrogate (possible
 * through a JSON `\ud800` escape) cannot be written as UTF-8 and would be stored altered;
 * the same point twice at the same ts in one batch would be stored once (last wins) while
 * counted twice.
 */
function receiverProblem(r: WireReading, seen: Map<string, number>, i: number): string | undefined {
  if (r.point.endsWith(REASON_SUFFIX))
    return `point: names ending in ${REASON_SUFFIX} are reserved for the reason of another point`;
  if (typeof r.value === 'string' && LONE_SURROGATE.test(r.value))
    return 'value: not well-formed Unicode (lone surrogate)';
  if (r.reason !== undefined && LONE_SURROGATE.test(r.reason))
    return 'reason: not well-formed Unicode (lone surrogate)';
  const key = `${r.ts}\u0000${r.point}`;
  const first = seen.get(key);
  if (first !== undefined) return `duplicate: readings[${first}] has the same point and ts`;
  seen.set(key, i);
  return undefined;
}

export function decodeDataBatch(input: Uint8Array | string, opts: DecodeOptions = {}): DecodedBatch {
  const parsed = parseJson(input);
  if (!parsed.ok) return parsed;
  const v = parsed.value;
  if (!batchHeader.Check(v)) return { ok: false, error: firstError(batchHeader, v) };
  const now = opts.now ?? Date.now();
  const batch = v as DataBatch;
  const rejected: RejectedReading[] = [];
  let readings = batch.readings;
  const seen = new Map<string, number>();
  for (let i = 0; i < batch.readings.length; i++) {
    const problem =
      readingProblem(batch.readings[i], now) ?? receiverProblem(batch.readings[i] as WireReading, seen, i);
    if (problem !== undefined) {
      const p = (batch.readings[i] as { point?: unknown } | null)?.point;
      rejected.push({ index: i, point: typeof p === 'string' ? p.slice(0, 64) : '?', reason: problem });
    }
  }
  if (rejected.length > 0) {
    const bad = new Set(rejected.map((r) => r.index));
    readings = batch.readings.filter((_, i) => !bad.has(i));
  }
  return { ok: true, value: rejected.length > 0 ? { ...batch, readings } : batch, rejected };
}

function decodeWith<T>(
  check: ReturnType<typeof TypeCompiler.Compile>,
  input: Uint8Array | string,
): Decoded<T> {
  return checkParsed<T>(check, parseJson(input));
}

export const decodeGatewayState = (input: Uint8Array | string): Decoded<GatewayState> =>
  decodeWith<GatewayState>(stateCheck, input);
export const decodeDeviceMeta = (input: Uint8Array | string): Decoded<DeviceMeta> =>
  decodeWith<DeviceMeta>(metaCheck, input);
export const decodeDeviceStatus = (input: Uint8Array | string): Decoded<DeviceStatus> =>
  decodeWith<DeviceStatus>(statusCheck, input);

/** Encoders check what they send, so a gateway never publishes what the hub would reject. */
function encodeWith(check: ReturnType<typeof TypeCompiler.Compile>, what: string, value: unknown): Buffer {
  if (!check.Check(value))
    throw new ContractError(`${what} does not follow contract v1: ${firstError(check, value)}`);
  return Buffer.from(JSON.stringify(value));
}

export class ContractError extends Error {
  readonly code = 'GZ_CONTRACT_INVALID';
}

export function encodeDataBatch(batch: DataBatch): Buffer {
  if (!batchHeader.Check(batch)) throw new ContractError(`data batch: ${firstError(batchHeader, batch)}`);
  for (let i = 0; i < batch.readings.length; i++) {
    const problem = readingProblem(batch.readings[i], Number.POSITIVE_INFINITY);
    if (problem !== undefined) throw new ContractError(`data batch readings[${i}]: ${problem}`);
  }
  return Buffer.from(JSON.stringify(batch));
}
export const encodeGatewayState = (s: GatewayState): Buffer => encodeWith(stateCheck, 'gateway state', s);
export const encodeDeviceMeta = (m: DeviceMeta): Buffer => encodeWith(metaCheck, 'device meta', m);
export const encodeDeviceStatus = (s: DeviceStatus): Buffer => encodeWith(statusCheck, 'device status', s);
