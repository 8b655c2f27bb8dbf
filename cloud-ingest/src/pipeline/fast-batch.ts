/**
 * The fast path for the common case — a data batch whose every reading is valid: the
 * scanner (scan-batch.ts) for the commonest form, else JSON.parse and one pass
 * over the readings validates each one and builds its line-protocol field at once, with
 * the series prefixes computed once per message.
 *
 * It accepts only what the reference path (`decodeDataBatch` + `batchMatchesTopic` +
 * `toLineProtocol` of the contract) accepts without any rejection, and then produces exactly
 * its lines and point count (test/fast-batch.test.ts checks that on random valid and
 * invalid batches). Anything else — an invalid envelope or reading, the same point twice
 * at one timestamp, ids that differ from the topic, a payload that is not plain UTF-8 JSON —
 * returns undefined, and the caller runs the reference path, which gives the reasons for
 * the dead letters. So the fast path never decides what is invalid, only what is clean.
 *
 * It mirrors the contract's rules (device-profiles/src/contract/envelopes.ts: the schema,
 * the ts window, null only when not good, `_reason` names reserved, no lone surrogates, one
 * reading per point and ts). When those change, change this too: test/fast-batch.test.ts
 * fails while the two disagree on what is clean.
 */
import { isUtf8 } from 'node:buffer';
import {
  type DataBatch,
  escapeStringField,
  LIMITS,
  REASON_SUFFIX,
  seriesPrefix,
  type TopicIds,
} from '@ganzhi/device-profiles';
import { scanDataBatch } from './scan-batch.js';

export interface FastBatch {
  batch: DataBatch;
  lines: string[];
  /** readings written as fields */
  points: number;
}

// the contract's patterns (device-profiles/src/contract/envelopes.ts, topics.ts)
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MODEL = /^[a-z0-9][a-z0-9-]{1,62}$/;
const MEASUREMENT = /^[a-z][a-z0-9_]{0,62}$/;
const STREAM = /^[A-Za-z0-9_-]{1,64}$/;
const POINT = /^[a-z][a-z0-9_]{0,62}$/;
const HEADER_KEYS = 10; // v district gateway device model measurement stream seq sent readings

/** Above this many points at one timestamp, repeated names are found with a Set. */
const LINEAR_NAMES = 16;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** One line: the readings of one timestamp and quality. */
interface Group {
  ts: number;
  quality: number;
  /** `name=value` parts, joined once at the end (a flat string, not a chain of concatenations) */
  fields: string[];
}

/** The points seen at one timestamp (any quality) and the lines of that timestamp. */
interface AtTs {
  names: string[];
  set: Set<string> | undefined;
  groups: [Group | undefined, Group | undefined, Group | undefined];
}

const QUALITIES = ['good', 'uncertain', 'bad'] as const;

function qualityIndex(q: unknown): number {
  return q === 'good' ? 0 : q === 'uncertain' ? 1 : q === 'bad' ? 2 : -1;
}

function ownKeyCount(o: object): number {
  // JSON.parse makes only own enumerable properties; an inherited one can only over-count,
  // which sends the batch to the reference path
  let n = 0;
  for (const _key in o) n++;
  return n;
}

/** Records a point at a timestamp; false when the batch already has it there. */
function addName(at: AtTs, name: string): boolean {
  if (at.set !== undefined) {
    if (at.set.has(name)) return false;
    at.set.add(name);
    return true;
  }
  if (at.names.includes(name)) return false;
  at.names.push(name);
  if (at.names.length > LINEAR_NAMES) at.set = new Set(at.names);
  return true;
}

function validHeader(v: Record<string, unknown>, ids: TopicIds): boolean {
  return (
    v.v === 1 &&
    v.district === ids.district &&
    v.gateway === ids.gateway &&
    v.device === ids.device &&
    typeof v.district === 'string' &&
    typeof v.gateway === 'string' &&
    typeof v.device === 'string' &&
    ID.test(v.district) &&
    ID.test(v.gateway) &&
    ID.test(v.device) &&
    typeof v.model === 'string' &&
    MODEL.test(v.model) &&
    typeof v.measurement === 'string' &&
    MEASUREMENT.test(v.measurement) &&
    typeof v.stream === 'string' &&
    STREAM.test(v.stream) &&
    Number.isInteger(v.seq) &&
    (v.seq as number) >= 0 &&
    (v.seq as number) <= Number.MAX_SAFE_INTEGER &&
    Number.isInteger(v.sent) &&
    (v.sent as number) >= 0 &&
    Array.isArray(v.readings) &&
    v.readings.length <= LIMITS.maxReadings &&
    ownKeyCount(v) === HEADER_KEYS
  );
}

/**
 * Decodes, validates and maps one data batch payload for the topic's ids, or returns
 * undefined when the reference path must decide (see the file comment).
 */
export function fastDataBatch(payload: Buffer, ids: TopicIds, now: number): FastBatch | undefined {
  // the commonest shape without JSON.parse (scan-batch.ts); anything else from here on
  return scanDataBatch(payload, ids, now) ?? parsedDataBatch(payload, ids, now);
}

/** The fast path through JSON.parse: any clean batch, in any valid JSON form. */
export function parsedDataBatch(payload: Buffer, ids: TopicIds, now: number): FastBatch | undefined {
  if (!isUtf8(payload)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const head = v as Record<string, unknown>;
  if (!validHeader(head, ids)) return undefined;
  const batch = v as DataBatch;
  const maxTs = now + LIMITS.maxFutureMs;
  const prefixes: (string | undefined)[] = [undefined, undefined, undefined];
  const groups: Group[] = [];
  const byTs = new Map<number, AtTs>();
  let lastTs = Number.NaN;
  let at: AtTs | undefined;
  let points = 0;
  const readings = batch.readings as unknown[];
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return undefined;
    const { point, value, ts, quality, reason, unit } = r;
    const q = qualityIndex(quality);
    if (q < 0) return undefined;
    if (typeof point !== 'string' || !POINT.test(point) || point.endsWith(REASON_SUFFIX)) return undefined;
    if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < LIMITS.minTs || ts > maxTs) return undefined;
    if (
      reason !== undefined &&
      (typeof reason !== 'string' || reason.length > LIMITS.maxReason || LONE_SURROGATE.test(reason))
    )
      return undefined;
    if (unit !== undefined && (typeof unit !== 'string' || unit.length > 32)) return undefined;
    if (ownKeyCount(r) !== 4 + (reason !== undefined ? 1 : 0) + (unit !== undefined ? 1 : 0))
      return undefined;
    let field: string | undefined;
    switch (typeof value) {
      case 'number':
        if (!Number.isFinite(value)) return undefined;
        field = String(value);
        break;
      case 'boolean':
        field = value ? 'true' : 'false';
        break;
      case 'string':
        if (value.length > LIMITS.maxStringValue || LONE_SURROGATE.test(value)) return undefined;
        field = escapeStringField(value);
        break;
      default:
        if (value !== null || q === 0) return undefined; // null only for a reading that is not good
    }
    // the readings of one timestamp usually follow each other
    if (ts !== lastTs || at === undefined) {
      at = byTs.get(ts);
      if (at === undefined) {
        at = { names: [], set: undefined, groups: [undefined, undefined, undefined] };
        byTs.set(ts, at);
      }
      lastTs = ts;
    }
    if (!addName(at, point)) return undefined; // the same point twice at one ts
    let g = at.groups[q];
    if (g === undefined) {
      g = { ts, quality: q, fields: [] };
      at.groups[q] = g;
      groups.push(g);
    }
    if (field !== undefined) {
      g.fields.push(`${point}=${field}`);
      points++;
    }
    if (q !== 0) {
      const text = escapeStringField(typeof reason === 'string' ? reason : 'unspecified');
      const f = `${point}${REASON_SUFFIX}=${text}`;
      g.fields.push(f);
    }
  }
  const lines = new Array<string>(groups.length);
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as Group;
    let prefix = prefixes[g.quality];
    if (prefix === undefined) {
      prefix = seriesPrefix(batch.measurement, ids, batch.model, QUALITIES[g.quality] as string);
      prefixes[g.quality] = prefix;
    }
    lines[i] = `${prefix} ${g.fields.join(',')} ${g.ts}`;
  }
  return { batch, lines, points };
}
