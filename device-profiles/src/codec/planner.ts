/**
 * The read planner: turns one device's Modbus points into the fewest read requests.
 *
 * Rules (Telegraf's request optimizer and the Modbus spec limits, made explicit):
 * - One request reads one table, from `address` for `count` registers (or bits).
 * - `count` ≤ the table limit: min(125, maxRegistersPerRead) for input/holding,
 *   min(2000, maxBitsPerRead) for coil/discrete (spec V1.1b3 §6.1–6.4).
 * - Points are taken in address order and added to the current request while the hole
 *   between the request's end and the point's start is ≤ `maxGap` (default 8) unmapped
 *   addresses, the request stays within the limit, and the hole touches no `forbidden`
 *   range. Overlapping points (e.g. several `bit` points on one register) share registers.
 *   `maxGap` counts addresses of the table, so bits for coil/discrete tables.
 * - Every input point yields exactly one item, even an exact duplicate (so decodeResponse
 *   gives one value per input entry).
 * - Output order is deterministic: tables in function-code order (coil 01, discrete 02,
 *   holding 03, input 04), then ascending address; items by address, the wider value first
 *   when several start at one address, then input order. Request boundaries therefore do not
 *   depend on the order of the input points.
 * - A point that can never be read — wider than the limit, inside a forbidden range, running
 *   past address 65535, or a `bit` binding without a bit index 0–15 — is a configuration error: planReads throws `GZ_PLAN_UNREADABLE`
 *   listing all of them at once.
 *
 * At run time, when a device still answers a merged request with exception 02 (illegal data
 * address: an undocumented hole), call splitRequest and retry the pieces.
 */
import type { ByteOrder, ModbusDevice, ModbusPoint, ModbusTable } from '../profile-schema.js';
import type { Value } from '../reading.js';
import { isBitTable } from './decode.js';
import { decodePoint } from './engineering.js';
import { CodecError } from './errors.js';
import { MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, registerCount } from './register-count.js';

/** Same shape as a profile's `modbus` section. */
export type PlanOptions = ModbusDevice;

export interface ReadItem {
  point: ModbusPoint;
  /** index of the point's first register (or bit) inside the request */
  offset: number;
}

export interface ReadRequest {
  table: ModbusTable;
  /** 0-based PDU address of the first register (or bit) read */
  address: number;
  /** number of registers (or bits) read */
  count: number;
  items: ReadItem[];
}

export interface DecodedItem {
  point: ModbusPoint;
  value: Value;
  /** the point's own register words (0/1 per bit for coil/discrete) as received */
  words: number[];
}

export const DEFAULT_MAX_GAP = 8;
export const TABLE_ORDER: readonly ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];

interface Span {
  point: ModbusPoint;
  start: number;
  end: number; // inclusive
  index: number;
}

/** The request size limit the planner uses for a table under the given options. */
export function requestLimit(table: ModbusTable, opts: PlanOptions = {}): number {
  const [max, asked] = isBitTable(table)
    ? [MAX_BITS_PER_READ, opts.maxBitsPerRead]
    : [MAX_REGISTERS_PER_READ, opts.maxRegistersPerRead];
  return Math.max(1, Math.min(max, Math.floor(asked ?? max)));
}

export function planReads(points: readonly ModbusPoint[], opts: PlanOptions = {}): ReadRequest[] {
  const maxGap = Math.max(0, Math.floor(opts.maxGap ?? DEFAULT_MAX_GAP));
  const problems: string[] = [];
  const requests: ReadRequest[] = [];
  for (const table of TABLE_ORDER) {
    const limit = requestLimit(table, opts);
    const forbidden = (opts.forbidden ?? []).filter((f) => f.table === table);
    const hits = (from: number, to: number) => forbidden.some((f) => f.from <= to && f.to >= from);
    const spans: Span[] = [];
    points.forEach((point, index) => {
      const b = point.modbus;
      if (b.table !== table) return;
      const start = b.address;
      const end = start + registerCount(b) - 1;
      const what = `point ${point.name} (${b.type} at ${table} ${start}, ${end - start + 1} ${unit(table)})`;
      if (end > 65535) problems.push(`${what} runs past address 65535`);
      else if (end - start + 1 > limit)
        problems.push(`${what} is wider than the ${limit}-${unit(table)} limit`);
      else if (hits(start, end)) problems.push(`${what} lies in a forbidden range`);
      else if (b.type === 'bit' && !isBitTable(table) && !validBit(b.bit)) {
        problems.push(`${what} needs "bit" between 0 and 15`);
      } else spans.push({ point, start, end, index });
    });
    spans.sort((a, b) => a.start - b.start || b.end - a.end || a.index - b.index);
    let cur: { start: number; end: number; spans: Span[] } | undefined;
    const flush = () => {
      if (cur) requests.push(toRequest(table, cur.start, cur.end, cur.spans));
    };
    for (const s of spans) {
      if (cur) {
        const gap = s.start - cur.end - 1;
        const end = Math.max(cur.end, s.end);
        if (gap <= maxGap && end - cur.start + 1 <= limit && (gap <= 0 || !hits(cur.end + 1, s.start - 1))) {
          cur.end = end;
          cur.spans.push(s);
          continue;
        }
        flush();
      }
      cur = { start: s.start, end: s.end, spans: [s] };
    }
    flush();
  }
  if (problems.length > 0) {
    throw new CodecError(
      'GZ_PLAN_UNREADABLE',
      `${problems.length} point(s) cannot be read:\n  ${problems.join('\n  ')}`,
    );
  }
  return requests;
}

const validBit = (bit: number | undefined) =>
  bit !== undefined && Number.isInteger(bit) && bit >= 0 && bit <= 15;

const unit = (table: ModbusTable) => (isBitTable(table) ? 'bit' : 'register');

function toRequest(table: ModbusTable, start: number, end: number, spans: Span[]): ReadRequest {
  return {
    table,
    address: start,
    count: end - start + 1,
    items: spans.map((s) => ({ point: s.point, offset: s.start - start })),
  };
}

/**
 * Splits a request the device rejected (exception 02) into smaller ones, without gap filling.
 * Repeated calls converge:
 * 1. a request with unmapped holes → one request per run of touching/overlapping items;
 * 2. a hole-free request of several items → one request per group of overlapping items
 *    (points sharing registers stay together);
 * 3. a request whose items all share registers → `[req]` unchanged (nothing left to split;
 *    the caller should mark those points bad).
 */
export function splitRequest(req: ReadRequest): ReadRequest[] {
  const byTouch = group(req, 1);
  if (byTouch.length > 1) return byTouch;
  const byOverlap = group(req, 0);
  return byOverlap.length > 1 ? byOverlap : [req];
}

/** Groups items whose spans are at most `join - 1` addresses apart (join 1: touching, 0: overlapping). */
function group(req: ReadRequest, join: number): ReadRequest[] {
  const spans = req.items
    .map((it, index) => {
      const start = req.address + it.offset;
      return { point: it.point, start, end: start + registerCount(it.point.modbus) - 1, index };
    })
    .sort((a, b) => a.start - b.start || a.index - b.index);
  const out: ReadRequest[] = [];
  let cur: { start: number; end: number; spans: Span[] } | undefined;
  for (const s of spans) {
    if (cur && s.start <= cur.end + join) {
      cur.end = Math.max(cur.end, s.end);
      cur.spans.push(s);
      continue;
    }
    if (cur) out.push(toRequest(req.table, cur.start, cur.end, cur.spans));
    cur = { start: s.start, end: s.end, spans: [s] };
  }
  if (cur) out.push(toRequest(req.table, cur.start, cur.end, cur.spans));
  return out;
}

/**
 * Decodes a response to `req`: `data` holds the `req.count` registers read (or, for coil/discrete,
 * one boolean or 0/1 per bit; extra trailing entries such as the padding of a packed bit response
 * are ignored). Returns one entry per item, in item order. Throws `GZ_CODEC_SHORT` when `data`
 * is shorter than the request.
 */
export function decodeResponse(
  req: ReadRequest,
  data: ArrayLike<number | boolean>,
  defaultOrder?: ByteOrder,
): DecodedItem[] {
  if (data.length < req.count) {
    throw new CodecError(
      'GZ_CODEC_SHORT',
      `response to ${req.table} ${req.address}+${req.count} has ${data.length} ${unit(req.table)}(s)`,
    );
  }
  return req.items.map(({ point, offset }) => {
    const n = registerCount(point.modbus);
    const words = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const d = data[offset + i];
      words[i] = typeof d === 'boolean' ? (d ? 1 : 0) : Number(d);
    }
    return { point, value: decodePoint(point, words, defaultOrder), words };
  });
}
