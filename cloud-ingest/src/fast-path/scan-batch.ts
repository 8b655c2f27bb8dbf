/**
 * The scanner: the fastest path for the commonest data batch — every reading good, every
 * value a number or a boolean, every string plain ASCII without escapes, no whitespace
 * (what JSON.stringify on a gateway produces). It reads the payload once, character by
 * character, without JSON.parse: it checks the contract's rules as it goes, builds each
 * line's fields from the number's own text when that text is already how JavaScript
 * prints the number, and builds the decoded batch (for the hub page) with one object per
 * reading.
 *
 * It declines (returns undefined) anything else — whitespace, escapes, non-ASCII, a key
 * it does not expect or seen twice, a string or null value, a quality other than good, a
 * reason, a number that is not plain digits where the contract wants an integer — and the
 * caller tries the JSON.parse fast path (parsed-batch.ts), then the reference path. So, like
 * the fast path, it never decides what is invalid, only what is clean; and what it takes
 * it maps exactly as the reference does (test/fast-batch.test.ts checks both on random
 * batches and numbers).
 */
import {
  type DataBatch,
  LIMITS,
  REASON_SUFFIX,
  seriesPrefix,
  type TopicIds,
} from '@ganzhi/device-profiles/contract';
import { cleanNames } from './header.js';
import { COLON, COMMA, Cursor, codes } from './json-cursor.js';
import { PointNames } from './point-names.js';
import type { FastBatch } from './result.js';

// the keys of a reading, and what follows them in the order JSON.stringify writes them
const KEY_POINT = codes('"point":');
const KEY_VALUE = codes('"value":');
const KEY_TS = codes('"ts":');
const KEY_QUALITY = codes('"quality":');
const KEY_UNIT = codes('"unit":');
const GOOD = codes('"good"');
const OPEN_POINT = codes('{"point":');
const KEY_VALUE_NEXT = codes(',"value":');
const KEY_TS_NEXT = codes(',"ts":');
const GOOD_NEXT = codes(',"quality":"good"');
const KEY_UNIT_NEXT = codes(',"unit":');
const TRUE = codes('true');
const FALSE = codes('false');

/** The readings of one timestamp: their point names, and their fields for the line. */
interface AtTs {
  ts: number;
  names: PointNames;
  fields: string[];
}

type Reading = DataBatch['readings'][number];

// reading keys: bit flags (any order, each at most once)
const K_POINT = 1;
const K_VALUE = 2;
const K_TS = 4;
const K_QUALITY = 8;
const K_UNIT = 16;
const K_REQUIRED = K_POINT | K_VALUE | K_TS | K_QUALITY;

/**
 * One reading object, all good; undefined when it is anything else (see the file comment).
 * The order JSON.stringify writes (point, value, ts, quality, unit) is read straight through;
 * any other order goes key by key.
 */
function reading(cur: Cursor, maxTs: number): { r: Reading; field: string } | undefined {
  const start = cur.pos;
  const inOrder = readingInOrder(cur, maxTs);
  if (inOrder !== undefined) return inOrder;
  cur.pos = start;
  return readingAnyOrder(cur, maxTs);
}

/** `{"point":"p","value":1,"ts":1,"quality":"good"(,"unit":"u")?}`, else undefined. */
function readingInOrder(cur: Cursor, maxTs: number): { r: Reading; field: string } | undefined {
  if (!cur.key(OPEN_POINT)) return undefined;
  const point = cur.pointName();
  if (point === undefined || point.endsWith(REASON_SUFFIX) || !cur.key(KEY_VALUE_NEXT)) return undefined;
  let value: number | boolean;
  let field: string;
  const c = cur.s.charCodeAt(cur.pos);
  if (c === 116 && cur.key(TRUE)) {
    value = true;
    field = 'true';
  } else if (c === 102 && cur.key(FALSE)) {
    value = false;
    field = 'false';
  } else {
    if (!cur.number()) return undefined;
    value = cur.numValue;
    field = cur.numText;
  }
  if (!cur.key(KEY_TS_NEXT)) return undefined;
  const ts = cur.integer();
  if (ts < LIMITS.minTs || ts > maxTs || !cur.key(GOOD_NEXT)) return undefined;
  let r: Reading;
  if (cur.eat(125)) {
    r = { point, value, ts, quality: 'good' };
  } else {
    if (!cur.key(KEY_UNIT_NEXT)) return undefined;
    const unit = cur.string();
    if (unit === undefined || unit.length > LIMITS.maxUnit || !cur.eat(125)) return undefined;
    r = { point, value, ts, quality: 'good', unit };
  }
  return { r, field: `${point}=${field}` };
}

function readingAnyOrder(cur: Cursor, maxTs: number): { r: Reading; field: string } | undefined {
  if (!cur.eat(123)) return undefined; // {
  let seen = 0;
  let point: string | undefined;
  let value: number | boolean = 0;
  let field = '';
  let ts = 0;
  let unit: string | undefined;
  for (;;) {
    const s = cur.s;
    const k = s.charCodeAt(cur.pos + 1);
    let bit: number;
    if (k === 112 && cur.key(KEY_POINT)) {
      bit = K_POINT;
      point = cur.pointName();
      if (point === undefined || point.endsWith(REASON_SUFFIX)) return undefined;
    } else if (k === 118 && cur.key(KEY_VALUE)) {
      bit = K_VALUE;
      const c = s.charCodeAt(cur.pos);
      if (c === 116 && cur.key(TRUE)) {
        value = true;
        field = 'true';
      } else if (c === 102 && cur.key(FALSE)) {
        value = false;
        field = 'false';
      } else {
        if (!cur.number()) return undefined;
        value = cur.numValue;
        field = cur.numText;
      }
    } else if (k === 116 && cur.key(KEY_TS)) {
      bit = K_TS;
      ts = cur.integer();
      if (ts < LIMITS.minTs || ts > maxTs) return undefined;
    } else if (k === 113 && cur.key(KEY_QUALITY)) {
      bit = K_QUALITY;
      if (!cur.key(GOOD)) return undefined;
    } else if (k === 117 && cur.key(KEY_UNIT)) {
      bit = K_UNIT;
      unit = cur.string();
      if (unit === undefined || unit.length > LIMITS.maxUnit) return undefined;
    } else return undefined;
    if (seen & bit) return undefined; // a key twice: JSON.parse keeps the last, let it decide
    seen |= bit;
    if (cur.eat(COMMA)) continue;
    if (cur.eat(125)) break; // }
    return undefined;
  }
  if ((seen & K_REQUIRED) !== K_REQUIRED) return undefined;
  const r: Reading =
    unit === undefined
      ? { point: point as string, value, ts, quality: 'good' }
      : { point: point as string, value, ts, quality: 'good', unit };
  return { r, field: `${point}=${field}` };
}

/** The readings array; its lines' fields are grouped per timestamp into `groups`. */
function readings(cur: Cursor, maxTs: number, groups: AtTs[]): Reading[] | undefined {
  if (!cur.eat(91)) return undefined; // [
  const out: Reading[] = [];
  if (cur.eat(93)) return out; // ]
  const byTs = new Map<number, AtTs>();
  let at: AtTs | undefined;
  for (;;) {
    const x = reading(cur, maxTs);
    if (x === undefined) return undefined;
    const { r } = x;
    // the readings of one timestamp usually follow each other
    if (at === undefined || at.ts !== r.ts) {
      at = byTs.get(r.ts);
      if (at === undefined) {
        at = { ts: r.ts, names: new PointNames(), fields: [] };
        byTs.set(r.ts, at);
        groups.push(at);
      }
    }
    if (!at.names.add(r.point)) return undefined; // the same point twice at one ts
    at.fields.push(x.field);
    out.push(r);
    if (out.length > LIMITS.maxReadings) return undefined;
    if (cur.eat(COMMA)) continue;
    if (cur.eat(93)) return out; // ]
    return undefined;
  }
}

/**
 * Decodes, validates and maps one data batch payload for the topic's ids, or returns
 * undefined when it is not of the shape this scanner takes (see the file comment).
 */
export function scanDataBatch(payload: Buffer, ids: TopicIds, now: number): FastBatch | undefined {
  // latin1 keeps one character per byte: a byte >= 0x80 (UTF-8 beyond ASCII) declines below
  const cur = new Cursor(payload.toString('latin1'));
  const s = cur.s;
  if (!cur.eat(123)) return undefined;
  const maxTs = now + LIMITS.maxFutureMs;
  let seen = 0;
  let v = -1;
  let district: string | undefined;
  let gateway: string | undefined;
  let device: string | undefined;
  let model: string | undefined;
  let measurement: string | undefined;
  let stream: string | undefined;
  let seq = -1;
  let sent = -1;
  let rs: Reading[] | undefined;
  const groups: AtTs[] = [];
  for (;;) {
    const key = cur.string();
    if (key === undefined || !cur.eat(COLON)) return undefined;
    let bit: number;
    switch (key) {
      case 'v':
        bit = 1;
        v = cur.integer();
        break;
      case 'district':
        bit = 2;
        district = cur.string();
        break;
      case 'gateway':
        bit = 4;
        gateway = cur.string();
        break;
      case 'device':
        bit = 8;
        device = cur.string();
        break;
      case 'model':
        bit = 16;
        model = cur.string();
        break;
      case 'measurement':
        bit = 32;
        measurement = cur.string();
        break;
      case 'stream':
        bit = 64;
        stream = cur.string();
        break;
      case 'seq':
        bit = 128;
        seq = cur.integer();
        break;
      case 'sent':
        bit = 256;
        sent = cur.integer();
        break;
      case 'readings':
        bit = 512;
        rs = readings(cur, maxTs, groups);
        if (rs === undefined) return undefined;
        break;
      default:
        return undefined;
    }
    if (seen & bit) return undefined;
    seen |= bit;
    if (cur.eat(COMMA)) continue;
    if (cur.eat(125)) break; // }
    return undefined;
  }
  if (
    seen !== 1023 ||
    cur.pos !== s.length ||
    v !== 1 ||
    !cleanNames(district, gateway, device, model, measurement, stream, ids) ||
    seq < 0 ||
    sent < 0 ||
    rs === undefined
  )
    return undefined;
  // cleanNames checked these: the topic's ids, and names matching their patterns
  const batch: DataBatch = {
    v: 1,
    district: ids.district,
    gateway: ids.gateway,
    device: ids.device,
    model: model as string,
    measurement: measurement as string,
    stream: stream as string,
    seq,
    sent,
    readings: rs,
  };
  const prefix = groups.length > 0 ? seriesPrefix(batch.measurement, ids, batch.model, 'good') : '';
  const lines = new Array<string>(groups.length);
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] as AtTs;
    lines[i] = `${prefix} ${g.fields.join(',')} ${g.ts}`;
  }
  return { batch, lines, points: rs.length };
}
