/**
 * Wire contract v1 — the InfluxDB schema a data batch maps to.
 *
 *   measurement  the profile's `measurement` (e.g. `energy_meter`)
 *   tags         device, district, gateway, model (profile id), quality (good|uncertain|bad)
 *   fields       one per point: `<point>` = value; numbers are always float fields (integers
 *                are exact to 2^53) so a field can never change type; booleans and strings as
 *                such. A reading that is not good also writes `<point>_reason` (string).
 *   time         the reading's source timestamp, precision ms
 *
 * Point identity: measurement + tag set + timestamp + field. All of it is derived from the
 * reading itself, so a redelivered reading produces the same line and overwrites itself.
 * Tag values come only from contract ids (validated patterns), never from payload text, so
 * cardinality is bounded: series = devices × qualities (≤ 3).
 */
import { REASON_SUFFIX } from './constants.js';
import type { DataBatch, WireReading } from './envelopes.js';
import { isValidId } from './topics.js';

export const PRECISION = 'ms';

export interface TopicIds {
  district: string;
  gateway: string;
  device: string;
}

export interface LineProtocolResult {
  lines: string[];
  /** readings that could not be mapped (their neighbours still are) */
  rejected: { point: string; reason: string }[];
  /** number of readings written as fields */
  points: number;
}

/** Escapes a string field value: backslash and double quote; newlines become spaces. */
export function escapeStringField(s: string): string {
  let out = s;
  if (out.includes('\\')) out = out.replaceAll('\\', '\\\\');
  if (out.includes('"')) out = out.replaceAll('"', '\\"');
  if (out.includes('\n') || out.includes('\r')) out = out.replace(/[\r\n]+/g, ' ');
  return `"${out}"`;
}

function fieldValue(v: WireReading['value']): string | undefined {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? String(v) : undefined;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return escapeStringField(v);
    default:
      return undefined;
  }
}

const prefixCache = new Map<string, string>();

/** `measurement,device=…,district=…,gateway=…,model=…,quality=…` — tag keys sorted, as InfluxDB prefers. */
export function seriesPrefix(measurement: string, ids: TopicIds, model: string, quality: string): string {
  const key = `${measurement}\u0000${ids.district}\u0000${ids.gateway}\u0000${ids.device}\u0000${model}\u0000${quality}`;
  let p = prefixCache.get(key);
  if (p === undefined) {
    p = `${measurement},device=${ids.device},district=${ids.district},gateway=${ids.gateway},model=${model},quality=${quality}`;
    if (prefixCache.size > 100_000) prefixCache.clear();
    prefixCache.set(key, p);
  }
  return p;
}

/**
 * Maps a decoded batch to line protocol. The topic's ids are authoritative (the broker's ACL
 * checked them); a batch whose own ids disagree is refused as a whole by the caller — see
 * `batchMatchesTopic`. Readings sharing a timestamp and quality share one line.
 */
export function toLineProtocol(batch: DataBatch, ids: TopicIds): LineProtocolResult {
  const rejected: LineProtocolResult['rejected'] = [];
  const groups = new Map<string, { prefix: string; ts: number; fields: Map<string, string> }>();
  let points = 0;
  for (const r of batch.readings) {
    const key = `${r.ts}|${r.quality}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        prefix: seriesPrefix(batch.measurement, ids, batch.model, r.quality),
        ts: r.ts,
        fields: new Map(),
      };
      groups.set(key, g);
    }
    const value = r.value === null ? undefined : fieldValue(r.value);
    if (r.value !== null && value === undefined) {
      rejected.push({ point: r.point, reason: 'value is not representable in line protocol' });
      continue;
    }
    if (value !== undefined) {
      g.fields.set(r.point, value);
      points++;
    }
    if (r.quality !== 'good')
      g.fields.set(r.point + REASON_SUFFIX, escapeStringField(r.reason ?? 'unspecified'));
  }
  const lines: string[] = [];
  for (const g of groups.values()) {
    if (g.fields.size === 0) continue;
    let fields = '';
    for (const [k, v] of g.fields) fields += fields === '' ? `${k}=${v}` : `,${k}=${v}`;
    lines.push(`${g.prefix} ${fields} ${g.ts}`);
  }
  return { lines, rejected, points };
}

/** True when the batch's own ids are the topic's ids (a payload may not speak for another gateway). */
export function batchMatchesTopic(batch: DataBatch, ids: TopicIds): boolean {
  return (
    batch.district === ids.district &&
    batch.gateway === ids.gateway &&
    batch.device === ids.device &&
    isValidId(ids.device)
  );
}
