/**
 * The fast path through JSON.parse: a data batch whose every reading is valid, in any valid
 * JSON form. One pass over the parsed readings validates each one and builds its
 * line-protocol field at once, with the series prefixes computed once per message. The
 * scanner (scan-batch.ts) takes the commonest form before this; see fast-batch.ts for what
 * both promise.
 */
import { isUtf8 } from 'node:buffer';
import {
  type DataBatch,
  escapeStringField,
  LIMITS,
  LONE_SURROGATE,
  POINT_NAME_PATTERN,
  REASON_SUFFIX,
  seriesPrefix,
  type TopicIds,
} from '@ganzhi/device-profiles/contract';
import { cleanNames, HEADER_KEYS } from './header.js';
import { PointNames } from './point-names.js';
import type { FastBatch } from './result.js';

/** One line: the readings of one timestamp and quality. */
interface Group {
  ts: number;
  quality: number;
  /** `name=value` parts, joined once at the end (a flat string, not a chain of concatenations) */
  fields: string[];
}

/** The points seen at one timestamp (any quality) and the lines of that timestamp. */
interface AtTs {
  names: PointNames;
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

function validHeader(v: Record<string, unknown>, ids: TopicIds): boolean {
  return (
    v.v === 1 &&
    cleanNames(v.district, v.gateway, v.device, v.model, v.measurement, v.stream, ids) &&
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

/** A clean batch in any valid JSON form → its lines; undefined when the reference path must decide. */
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
    if (typeof point !== 'string' || !POINT_NAME_PATTERN.test(point) || point.endsWith(REASON_SUFFIX))
      return undefined;
    if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < LIMITS.minTs || ts > maxTs) return undefined;
    if (
      reason !== undefined &&
      (typeof reason !== 'string' || reason.length > LIMITS.maxReason || LONE_SURROGATE.test(reason))
    )
      return undefined;
    if (unit !== undefined && (typeof unit !== 'string' || unit.length > LIMITS.maxUnit)) return undefined;
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
        at = { names: new PointNames(), groups: [undefined, undefined, undefined] };
        byTs.set(ts, at);
      }
      lastTs = ts;
    }
    if (!at.names.add(point)) return undefined; // the same point twice at one ts
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
