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

/** A checked envelope: its identity, and `<topic>\n{"v":1,…,"stream":"…"`. */
interface Header {
  id: StreamIdentity;
  dev: DeviceIdentity;
  head: string;
}
/** by device id; the entry is used only when the whole identity is the same */
const headerCache = new Map<string, Header>();
/** `{"point":"<name>","value":` for each point name checked against the contract's pattern */
const pointPrefixes = new Map<string, string>();

const sameIdentity = (h: Header, id: StreamIdentity, dev: DeviceIdentity): boolean =>
  h.dev.device === dev.device &&
  h.dev.model === dev.model &&
  h.dev.measurement === dev.measurement &&
  h.id.district === id.district &&
  h.id.gateway === id.gateway &&
  h.id.stream === id.stream;

function headerOf(id: StreamIdentity, dev: DeviceIdentity): string {
  const cached = headerCache.get(dev.device);
  if (cached !== undefined && sameIdentity(cached, id, dev)) return cached.head;
  {
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
    const head = `${deviceTopic(id.district, id.gateway, dev.device, 'data')}\n${json.slice(0, -1)}`;
    if (headerCache.size >= CACHE_MAX) headerCache.clear();
    headerCache.set(dev.device, { id: { ...id }, dev: { ...dev }, head });
    return head;
  }
}

/** The reading's JSON up to its value, for a point name the contract allows; undefined otherwise. */
function pointPrefix(point: unknown): string | undefined {
  if (typeof point !== 'string') return undefined;
  let prefix = pointPrefixes.get(point);
  if (prefix !== undefined) return prefix;
  if (!POINT_NAME_PATTERN.test(point)) return undefined;
  prefix = `{"point":${JSON.stringify(point)},"value":`;
  if (pointPrefixes.size >= CACHE_MAX) pointPrefixes.clear();
  pointPrefixes.set(point, prefix);
  return prefix;
}

/**
 * Records are carved from a shared slab, as Node carves small Buffers from its 8 KB pool: a
 * record of a 50-point cycle (~4 KB) is just over the size Node pools, and a Buffer of its own
 * per record meant a new ArrayBuffer and backing store 100 times a second. A record dies
 * within milliseconds (appended, published from memory, copied by MQTT.js for its store), so a
 * slab is soon garbage as a whole.
 */
const SLAB_BYTES = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

function recordBuffer(size: number): Buffer {
  if (size > SLAB_BYTES / 4) return Buffer.allocUnsafe(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const b = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += (size + 7) & ~7;
  return b;
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
  const numeric = numericBody(readings);
  if (numeric !== undefined) return frame(id, dev, numeric, seq, sent, limits, true);
  const wire: WireReading[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    const point = r.point;
    if (pointPrefix(point) === undefined) return undefined;
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
  return frame(id, dev, JSON.stringify(wire), seq, sent, limits, false);
}

/**
 * The readings array's JSON when every reading is good with a finite number (the usual cycle),
 * else undefined. The numbers come from one `JSON.stringify` of the values alone (the same
 * digits as inside the reading objects, and no number-string cache: see fastRecord); the rest
 * of each reading is its point's cached prefix and a `ts`/quality tail shared by the readings
 * of one timestamp. Point names are ASCII (POINT_NAME_PATTERN), so the whole text is.
 */
function numericBody(readings: readonly Reading[]): string | undefined {
  const n = readings.length;
  const values: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    const v = r.value;
    if (r.quality !== 'good' || typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    if (!Number.isInteger(r.ts) || r.ts < LIMITS.minTs) return undefined;
    values[i] = v;
  }
  const digits = JSON.stringify(values); // "[a,b,…]": numbers hold no comma
  // joined once into a flat string: a string grown by `+=` is a tree that the write into the
  // record's buffer would have to flatten first
  const parts: string[] = new Array(3 * n + 1);
  parts[0] = '[';
  let k = 1;
  let from = 1;
  let ts = Number.NaN;
  let tail = '';
  for (let i = 0; i < n; i++) {
    const r = readings[i]!;
    const prefix = pointPrefix(r.point);
    if (prefix === undefined) return undefined;
    const to = i === n - 1 ? digits.length - 1 : digits.indexOf(',', from);
    if (r.ts !== ts) {
      ts = r.ts;
      tail = `,"ts":${JSON.stringify(ts)},"quality":"good"}`;
    }
    parts[k++] = i === 0 ? prefix : `,${prefix}`;
    parts[k++] = digits.slice(from, to);
    parts[k++] = tail;
    from = to + 1;
  }
  parts[k] = ']';
  return parts.join('');
}

/** Frames a readings array's JSON as the cycle's record, or undefined when over `maxBytes`. */
function frame(
  id: StreamIdentity,
  dev: DeviceIdentity,
  body: string,
  seq: number,
  sent: number,
  limits: BatchLimits,
  ascii: boolean,
): Buffer | undefined {
  // what chunkReadings counts, each reading's JSON length + 1: the array's length less its
  // brackets and separating commas, plus n
  if (body.length - 1 > limits.maxBytes) return undefined;
  // written piece by piece: joining the strings first would copy the body once more to flatten it
  const head = `${headerOf(id, dev)},"seq":${seq},"sent":${sent},"readings":`;
  const headBytes = Buffer.byteLength(head);
  const bodyBytes = ascii ? body.length : Buffer.byteLength(body);
  const buf = recordBuffer(headBytes + bodyBytes + 1);
  let at = buf.write(head, 0);
  // an ASCII text is copied as it is; anything else is transcoded to UTF-8
  at += buf.write(body, at, ascii ? 'latin1' : 'utf8');
  buf[at] = 0x7d; // }
  return buf;
}
