/**
 * The messages a DL/T 645 master and meter exchange, built on frame.ts: read data (2007 and
 * 1997), its normal and abnormal replies, read address (13) and the broadcast time sync (08).
 */
import { decodeBcd, encodeBcd } from '../bcd.js';
import { type DataIdFormat, dataIdBytes, dataIdInfo, dataIdText, formatShape } from './data-ids.js';
import {
  BROADCAST_ADDRESS,
  describeErrorWord,
  type EncodeOptions,
  encodeFrame,
  FN,
  type Frame,
  WILDCARD_ADDRESS,
} from './frame.js';

export function readDataRequest(address: string, dataId: string, opts: EncodeOptions = {}): Uint8Array {
  const fn = dataId.length === 4 ? FN.readData1997 : FN.readData;
  return encodeFrame(address, fn, dataIdBytes(dataId.toUpperCase()), opts);
}

/** Read address (2007 §7.5): wildcard address, C = 13, L = 0; only one meter may be on the line. */
export function readAddressRequest(opts: EncodeOptions = {}): Uint8Array {
  return encodeFrame(WILDCARD_ADDRESS, FN.readAddress, new Uint8Array(0), opts);
}

export interface MeterTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Local wall-clock fields of `epochMs` in a zone `tzOffsetMinutes` east of UTC (China: 480). */
export function localFields(epochMs: number, tzOffsetMinutes: number): MeterTime {
  const t = new Date(epochMs + tzOffsetMinutes * 60_000);
  return {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hour: t.getUTCHours(),
    minute: t.getUTCMinutes(),
    second: t.getUTCSeconds(),
  };
}

/** Broadcast time sync (2007 §7.6): address 99…99, C = 08, data ss mm hh DD MM YY; no reply. */
export function broadcastTimeSync(time: MeterTime, opts: EncodeOptions = {}): Uint8Array {
  const f = [time.second, time.minute, time.hour, time.day, time.month, time.year % 100];
  const data = Uint8Array.from(f, (v) => encodeBcd(v, 1, 0)![0]!);
  return encodeFrame(BROADCAST_ADDRESS, FN.broadcastTime, data, opts);
}

export function parseTimeSync(frame: Frame): { ok: true; time: MeterTime } | { ok: false; reason: string } {
  if (frame.control.fn !== FN.broadcastTime || frame.data.length !== 6) {
    return { ok: false, reason: 'not a time sync: needs C = 08 and 6 data bytes' };
  }
  const v: number[] = [];
  for (const b of frame.data) {
    const r = decodeBcd(Uint8Array.of(b), 0);
    if (!r.ok) return r;
    v.push(r.value);
  }
  const [second, minute, hour, day, month, yy] = v as [number, number, number, number, number, number];
  if (second > 59 || minute > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12) {
    return { ok: false, reason: `time: ${v.join(' ')} is not a date` };
  }
  return { ok: true, time: { year: 2000 + yy, month, day, hour, minute, second } };
}

/** Encodes a value in a DI's format (for simulators); undefined when it does not fit. */
export function encodeValue(value: number, fmt: DataIdFormat): Uint8Array | undefined {
  const shape = formatShape(fmt.format);
  if (!shape) return undefined;
  return encodeBcd(value, shape.bytes, shape.decimals, fmt.signed);
}

export function decodeValue(
  bytes: Uint8Array,
  fmt: DataIdFormat,
): { ok: true; value: number } | { ok: false; reason: string } {
  const shape = formatShape(fmt.format);
  if (!shape) return { ok: false, reason: `format: ${fmt.format} is not a BCD format` };
  if (bytes.length !== shape.bytes) {
    return { ok: false, reason: `length: ${fmt.format} needs ${shape.bytes} bytes, got ${bytes.length}` };
  }
  const r = decodeBcd(bytes, shape.decimals, fmt.signed);
  return r.ok ? { ok: true, value: r.value } : r;
}

/** Normal read reply (C = 91, or 81 in 1997): DI then the value. */
export function readDataReply(
  address: string,
  dataId: string,
  value: Uint8Array,
  opts: EncodeOptions = {},
): Uint8Array {
  const di = dataIdBytes(dataId.toUpperCase());
  const fn = dataId.length === 4 ? FN.readData1997 : FN.readData;
  const data = new Uint8Array(di.length + value.length);
  data.set(di);
  data.set(value, di.length);
  return encodeFrame(address, 0x80 | fn, data, opts);
}

/** Abnormal reply (C = D1, or C1 in 1997) with the error word. */
export function errorReply(
  address: string,
  errorWord: number,
  version: '2007' | '1997' = '2007',
  opts: EncodeOptions = {},
): Uint8Array {
  const fn = version === '1997' ? FN.readData1997 : FN.readData;
  return encodeFrame(address, 0xc0 | fn, Uint8Array.of(errorWord & 0xff), opts);
}

export function readAddressReply(address: string, opts: EncodeOptions = {}): Uint8Array {
  const a = dataIdBytes(address); // the same LSB-first layout as the header
  return encodeFrame(address, 0x80 | FN.readAddress, a, opts);
}

export type ReadResult =
  | { ok: true; dataId: string; value: number }
  | { ok: false; error: 'abnormal'; errorWord: number; reason: string }
  | { ok: false; error: 'refused'; reason: string };

/**
 * Reads the value out of a reply to `readDataRequest(expected address, dataId)`: checks that
 * it is a read reply from that meter for that DI, then decodes the DI's format (from the
 * table, or `fmt` for an identifier the table lacks).
 */
export function parseReadReply(
  frame: Frame,
  expect: { address?: string; dataId: string; format?: DataIdFormat },
): ReadResult {
  const id = expect.dataId.toUpperCase();
  const is1997 = id.length === 4;
  const fn = is1997 ? FN.readData1997 : FN.readData;
  const c = frame.control;
  if (!c.reply || c.fn !== fn) {
    return {
      ok: false,
      error: 'refused',
      reason: `unexpected control code ${c.code.toString(16).padStart(2, '0').toUpperCase()}`,
    };
  }
  if (
    expect.address &&
    expect.address.toUpperCase() !== frame.address &&
    !/A/.test(expect.address.toUpperCase())
  ) {
    return {
      ok: false,
      error: 'refused',
      reason: `address: reply from ${frame.address}, asked ${expect.address}`,
    };
  }
  if (c.abnormal) {
    const w = frame.data[0] ?? 0;
    return {
      ok: false,
      error: 'abnormal',
      errorWord: w,
      reason: `meter error ${w.toString(16).padStart(2, '0').toUpperCase()}: ${describeErrorWord(w)}`,
    };
  }
  const diLen = id.length / 2;
  if (frame.data.length < diLen)
    return { ok: false, error: 'refused', reason: 'length: reply shorter than its data identifier' };
  const gotId = dataIdText(frame.data.subarray(0, diLen));
  if (gotId !== id)
    return { ok: false, error: 'refused', reason: `data identifier: reply carries ${gotId}, asked ${id}` };
  const fmt = expect.format ?? dataIdInfo(id);
  if (!fmt)
    return {
      ok: false,
      error: 'refused',
      reason: `format: ${id} is not in the table and the binding gives none`,
    };
  const v = decodeValue(frame.data.subarray(diLen), fmt);
  return v.ok ? { ok: true, dataId: id, value: v.value } : { ok: false, error: 'refused', reason: v.reason };
}

/** The meter address out of a read-address reply (C = 93, 6 data bytes). */
export function parseAddressReply(
  frame: Frame,
): { ok: true; address: string } | { ok: false; reason: string } {
  if (frame.control.code !== (0x80 | FN.readAddress) || frame.data.length !== 6) {
    return { ok: false, reason: 'not a read-address reply: needs C = 93 and 6 data bytes' };
  }
  const address = dataIdText(frame.data);
  if (!/^[0-9]{12}$/.test(address)) return { ok: false, reason: `address: ${address} is not 12 BCD digits` };
  return { ok: true, address };
}
