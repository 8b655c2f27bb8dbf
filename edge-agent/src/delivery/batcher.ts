/**
 * Cuts one device's readings into contract data batches, bounded by readings and bytes, and
 * frames each batch as a log record: the topic, a newline, then the encoded envelope. The
 * sequence numbers are the log offsets the records will get, so a batch keeps its `seq`
 * through every redelivery and across restarts.
 */
import {
  type DataBatch,
  deviceTopic,
  encodeDataBatch,
  LIMITS,
  POINT_NAME_PATTERN,
  type Reading,
  type WireReading,
} from '@ganzhi/device-profiles';

export interface BatchLimits {
  /** readings per batch; default 500 */
  maxReadings: number;
  /** approximate encoded bytes per batch; default 128 KiB */
  maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxReadings: 500, maxBytes: 128 * 1024 };

export interface StreamIdentity {
  district: string;
  gateway: string;
  stream: string;
}

export interface DeviceIdentity {
  device: string;
  model: string;
  measurement: string;
}

const NEWLINE = 0x0a;

export function toWire(r: Reading): WireReading {
  const w: WireReading = { point: r.point, value: r.value, ts: r.ts, quality: r.quality };
  if (r.quality !== 'good' && r.reason !== undefined) w.reason = r.reason.slice(0, 256);
  if (typeof r.value === 'number' && !Number.isFinite(r.value)) {
    // NaN / Infinity cannot travel in JSON: keep the reading, mark it bad with the reason
    w.value = null;
    w.quality = 'bad';
    w.reason = `non-finite value (${String(r.value)})`;
  }
  return w;
}

/**
 * An upper bound of a reading's JSON length, without encoding it: every character of its
 * strings as a 6-byte escape, plus the keys, quotes, a number, a timestamp and a quality.
 */
function jsonUpperBound(r: WireReading): number {
  // keys, quotes and commas ~60, a number ≤ 24, a timestamp ≤ 16, 'uncertain': 160 is ample
  let n = 160 + 6 * r.point.length;
  if (typeof r.value === 'string') n += 6 * r.value.length;
  else if (typeof r.value !== 'number' && typeof r.value !== 'boolean' && r.value !== null) return Infinity;
  if (r.reason !== undefined) n += 6 * r.reason.length;
  if (r.unit !== undefined) n += 6 * r.unit.length;
  return n;
}

/** Splits readings into chunks within the limits (bytes estimated from the JSON of each reading). */
export function chunkReadings(readings: readonly WireReading[], limits: BatchLimits): WireReading[][] {
  // the usual case, a device's cycle that fits one batch by far: no JSON encoding to find out
  if (readings.length <= limits.maxReadings) {
    let bound = 0;
    for (const r of readings) bound += jsonUpperBound(r) + 1;
    if (bound <= limits.maxBytes) return readings.length > 0 ? [readings.slice()] : [];
  }
  const chunks: WireReading[][] = [];
  let current: WireReading[] = [];
  let bytes = 0;
  for (const r of readings) {
    const size = JSON.stringify(r).length + 1;
    if (current.length > 0 && (current.length >= limits.maxReadings || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function frameRecord(topic: string, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(topic), Buffer.from([NEWLINE]), payload]);
}

export function unframeRecord(record: Buffer): { topic: string; payload: Buffer } {
  const nl = record.indexOf(NEWLINE);
  if (nl < 0) throw new Error('log record has no topic line');
  return { topic: record.subarray(0, nl).toString(), payload: record.subarray(nl + 1) };
}

/** Builds the framed records for one device's readings, numbering them from `firstSeq`. */
export function buildRecords(
  id: StreamIdentity,
  dev: DeviceIdentity,
  readings: readonly Reading[],
  firstSeq: number,
  sent: number,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): { records: Buffer[]; batches: DataBatch[] } {
  const topic = deviceTopic(id.district, id.gateway, dev.device, 'data');
  const chunks = chunkReadings(readings.map(toWire), limits);
  const batches = chunks.map(
    (chunk, i): DataBatch => ({
      v: 1,
      district: id.district,
      gateway: id.gateway,
      device: dev.device,
      model: dev.model,
      measurement: dev.measurement,
      stream: id.stream,
      seq: firstSeq + i,
      sent,
      readings: chunk,
    }),
  );
  return { records: batches.map((b) => frameRecord(topic, encodeDataBatch(b))), batches };
}

/**
 * The record of one device's cycle, encoded without the intermediate wire objects: the
 * envelope header is checked against the contract once per device identity and the point
 * names once each (both cached), every reading's fields inline as its JSON is written. The
 * bytes are the same as `buildRecords` gives (the same JSON, key for key). Whatever this path
 * is not sure of — a cycle that needs more than one batch, a value the contract refuses, an
 * unusual type — goes through `buildRecords`, which checks it in full and throws the
 * contract's error.
 */
export function encodeRecords(
  id: StreamIdentity,
  dev: DeviceIdentity,
  readings: readonly Reading[],
  firstSeq: number,
  sent: number,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): Buffer[] {
  const fast = fastRecord(id, dev, readings, firstSeq, sent, limits);
  return fast !== undefined ? [fast] : buildRecords(id, dev, readings, firstSeq, sent, limits).records;
}

/** Bounded caches: a gateway has a few hundred devices and points; past the bound they start again. */
const CACHE_MAX = 10_000;
/** `<topic>\n{"v":1,…,"stream":"…"` for each checked device identity */
const headerCache = new Map<string, string>();
/** the point names checked against the contract's pattern */
const checkedPoints = new Set<string>();

function headerOf(id: StreamIdentity, dev: DeviceIdentity): string {
  const key = `${id.district}\u0000${id.gateway}\u0000${id.stream}\u0000${dev.device}\u0000${dev.model}\u0000${dev.measurement}`;
  let head = headerCache.get(key);
  if (head === undefined) {
    const empty: DataBatch = {
      v: 1,
      district: id.district,
      gateway: id.gateway,
      device: dev.device,
      model: dev.model,
      measurement: dev.measurement,
      stream: id.stream,
      seq: 0,
      sent: LIMITS.minTs,
      readings: [],
    };
    encodeDataBatch(empty); // the contract's check of the envelope (throws its error)
    const { seq: _s, sent: _t, readings: _r, ...ids } = empty;
    const json = JSON.stringify(ids);
    head = `${deviceTopic(id.district, id.gateway, dev.device, 'data')}\n${json.slice(0, -1)}`;
    if (headerCache.size >= CACHE_MAX) headerCache.clear();
    headerCache.set(key, head);
  }
  return head;
}

function pointOk(point: unknown): point is string {
  if (typeof point !== 'string') return false;
  if (checkedPoints.has(point)) return true;
  if (!POINT_NAME_PATTERN.test(point)) return false;
  if (checkedPoints.size >= CACHE_MAX) checkedPoints.clear();
  checkedPoints.add(point);
  return true;
}

/**
 * The JSON text comes from one `JSON.stringify` of the wire readings, not from concatenating
 * `String(value)` per reading: V8 keeps every number it turns into a string that way in its
 * number-string cache (16 Ki entries), where at 5,000 readings/s each string lives a few
 * seconds, long enough to be promoted to the old generation and die there (measured: most of
 * what the agent promoted, ~0.2 MB/s). `JSON.stringify` writes the digits straight into its
 * result, the same digits. The wire objects are built in the key order of the contract's
 * encoding and die young.
 */
function fastRecord(
  id: StreamIdentity,
  dev: DeviceIdentity,
  readings: readonly Reading[],
  seq: number,
  sent: number,
  limits: BatchLimits,
): Buffer | undefined {
  const n = readings.length;
  if (n === 0 || n > limits.maxReadings || n > LIMITS.maxReadings) return undefined;
  if (!Number.isSafeInteger(seq) || seq < 0 || !Number.isSafeInteger(sent) || sent < 0) return undefined;
  const wire: WireReading[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    const point = r.point;
    if (!pointOk(point)) return undefined;
    let quality = r.quality;
    if (quality !== 'good' && quality !== 'uncertain' && quality !== 'bad') return undefined;
    let reason: string | undefined;
    if (quality !== 'good' && r.reason !== undefined) {
      if (typeof r.reason !== 'string') return undefined;
      reason = r.reason.slice(0, LIMITS.maxReason);
    }
    let value = r.value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        reason = `non-finite value (${String(value)})`;
        value = null;
        quality = 'bad';
      }
    } else if (typeof value === 'string') {
      if (value.length > LIMITS.maxStringValue) return undefined;
    } else if (value === null) {
      if (quality === 'good') return undefined;
    } else if (typeof value !== 'boolean') return undefined;
    const ts = r.ts;
    if (!Number.isInteger(ts) || ts < LIMITS.minTs) return undefined;
    wire[i] = reason === undefined ? { point, value, ts, quality } : { point, value, ts, quality, reason };
  }
  const body = JSON.stringify(wire);
  // what chunkReadings counts, each reading's JSON length + 1: the array's length less its
  // brackets and separating commas, plus n
  if (body.length - 1 > limits.maxBytes) return undefined;
  // written piece by piece: joining the strings first would copy the body once more to flatten it
  const head = `${headerOf(id, dev)},"seq":${seq},"sent":${sent},"readings":`;
  const headBytes = Buffer.byteLength(head);
  const buf = Buffer.allocUnsafe(headBytes + Buffer.byteLength(body) + 1);
  let at = buf.write(head, 0);
  at += buf.write(body, at);
  buf[at] = 0x7d; // }
  return buf;
}
