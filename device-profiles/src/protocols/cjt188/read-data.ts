/**
 * The reply to "read metering data" (DI 901F), CJ/T 188-2004 §8 (data item formats) and the
 * unit code table. Water and gas meters (T 1xh, 30h): current accumulated flow, settlement
 * day accumulated flow (each 4 BCD bytes XXXXXX.XX + unit code), real time (7 BCD bytes),
 * status ST (2 bytes). Heat meters (T 20h, 21h): settlement-day heat, current heat, heat
 * power (XXXXXX.XX + unit), flow rate (XXXX.XXXX + unit), accumulated flow (XXXXXX.XX + unit),
 * supply and return temperature (XXXX.XX °C), accumulated working time (XXXXXX h), real time,
 * status. Multi-byte items are least significant byte first.
 *
 * Status byte ST1 (D0 = least significant bit): D0-D1 valve (00 open, 01 closed, 11 abnormal),
 * D2 battery (0 normal, 1 low); D3-D7 and ST2 are manufacturer-defined.
 */
import { decodeBcd, encodeBcd } from '../bcd.js';
import { DI_READ_DATA, encodeFrame, FN, type Frame } from './frame.js';

/** Unit codes (CJ/T 188-2004 unit table) with the factor to the SI-style unit of their kind. */
export const UNIT_CODES: Record<
  number,
  { symbol: string; kind: 'energy' | 'power' | 'volume' | 'flow'; toBase: number }
> = {
  1: { symbol: 'J', kind: 'energy', toBase: 1 / 3.6e6 },
  2: { symbol: 'W.h', kind: 'energy', toBase: 1e-3 },
  5: { symbol: 'kW.h', kind: 'energy', toBase: 1 },
  8: { symbol: 'MW.h', kind: 'energy', toBase: 1e3 },
  10: { symbol: 'MW.h×100', kind: 'energy', toBase: 1e5 },
  11: { symbol: 'kJ', kind: 'energy', toBase: 1 / 3600 },
  14: { symbol: 'MJ', kind: 'energy', toBase: 1 / 3.6 },
  17: { symbol: 'GJ', kind: 'energy', toBase: 1e3 / 3.6 },
  19: { symbol: 'GJ×100', kind: 'energy', toBase: 1e5 / 3.6 },
  20: { symbol: 'W', kind: 'power', toBase: 1e-3 },
  23: { symbol: 'kW', kind: 'power', toBase: 1 },
  26: { symbol: 'MW', kind: 'power', toBase: 1e3 },
  41: { symbol: 'L', kind: 'volume', toBase: 1e-3 },
  44: { symbol: 'm3', kind: 'volume', toBase: 1 },
  50: { symbol: 'L/h', kind: 'flow', toBase: 1e-3 },
  53: { symbol: 'm3/h', kind: 'flow', toBase: 1 },
};

/** Point units a profile may ask for, with the factor from the base unit of their kind. */
export const POINT_UNITS: Record<string, { kind: 'energy' | 'power' | 'volume' | 'flow'; fromBase: number }> =
  {
    'kW.h': { kind: 'energy', fromBase: 1 },
    'MW.h': { kind: 'energy', fromBase: 1e-3 },
    GJ: { kind: 'energy', fromBase: 3.6e-3 },
    MJ: { kind: 'energy', fromBase: 3.6 },
    kW: { kind: 'power', fromBase: 1 },
    W: { kind: 'power', fromBase: 1e3 },
    m3: { kind: 'volume', fromBase: 1 },
    L: { kind: 'volume', fromBase: 1e3 },
    'm3/h': { kind: 'flow', fromBase: 1 },
    'L/h': { kind: 'flow', fromBase: 1e3 },
  };

export const VALVE_STATES = ['open', 'closed', 'reserved', 'abnormal'] as const;
export type ValveState = (typeof VALVE_STATES)[number];

export interface Quantity {
  value: number;
  unitCode: number;
  unit: string;
}

export interface MeterStatus {
  st1: number;
  st2: number;
  valve: ValveState;
  batteryLow: boolean;
}

export interface MeterTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface ReadDataReply {
  ser: number;
  /** "standard" = DI sent 1F 90; "swapped" = sent 90 1F (seen on some meters) */
  diOrder: 'standard' | 'swapped';
  /** the meter's clock; absent when it reads all zeros (no clock) or is not a date (see clockProblem) */
  meterTime?: MeterTime;
  clockProblem?: string;
  status: MeterStatus;
  /** water / gas */
  currentFlow?: Quantity;
  settlementFlow?: Quantity;
  /** heat */
  settlementHeat?: Quantity;
  currentHeat?: Quantity;
  heatPower?: Quantity;
  flowRate?: Quantity;
  accumulatedFlow?: Quantity;
  supplyTemperature?: number;
  returnTemperature?: number;
  workingHours?: number;
}

export const isHeatMeter = (t: number) => t === 0x20 || t === 0x21;
export const isFlowMeter = (t: number) => (t >= 0x10 && t <= 0x19) || t === 0x30;

export const WATER_REPLY_LENGTH = 22;
export const HEAT_REPLY_LENGTH = 46;

type R<T> = { ok: true; value: T } | { ok: false; reason: string };

class Reader {
  p = 3;
  constructor(private readonly data: Uint8Array) {}
  bcd(bytes: number, decimals: number, what: string): R<number> {
    const r = decodeBcd(this.data.subarray(this.p, this.p + bytes), decimals);
    this.p += bytes;
    return r.ok ? { ok: true, value: r.value } : { ok: false, reason: `${r.reason} (${what})` };
  }
  quantity(bytes: number, decimals: number, what: string): R<Quantity> {
    const v = this.bcd(bytes, decimals, what);
    const code = this.data[this.p++]!;
    if (!v.ok) return v;
    const u = UNIT_CODES[code];
    if (!u)
      return { ok: false, reason: `unit code: 0x${code.toString(16).padStart(2, '0')} unknown (${what})` };
    return { ok: true, value: { value: v.value, unitCode: code, unit: u.symbol } };
  }
}

/** Parses the data field of a read-data reply (C = 81) from a meter of type `meterType`. */
export function parseReadDataReply(frame: Frame): R<ReadDataReply> {
  const d = frame.data;
  if (!frame.control.reply || frame.control.fn !== FN.readData) {
    return {
      ok: false,
      reason: `control: ${frame.control.code.toString(16).padStart(2, '0')} is not a read-data reply`,
    };
  }
  if (frame.control.abnormal) return { ok: false, reason: 'abnormal reply from the meter' };
  const heat = isHeatMeter(frame.meterType);
  if (!heat && !isFlowMeter(frame.meterType)) {
    return {
      ok: false,
      reason: `meter type: 0x${frame.meterType.toString(16)} has no read-data layout here`,
    };
  }
  const want = heat ? HEAT_REPLY_LENGTH : WATER_REPLY_LENGTH;
  if (d.length !== want)
    return { ok: false, reason: `length: L = ${d.length}, this meter type replies ${want}` };
  const di = d[0]! | (d[1]! << 8);
  const diOrder =
    di === DI_READ_DATA ? 'standard' : ((d[0]! << 8) | d[1]!) === DI_READ_DATA ? 'swapped' : undefined;
  if (!diOrder) return { ok: false, reason: `data identifier: ${di.toString(16)} is not 901F` };
  const r = new Reader(d);
  const out: Partial<ReadDataReply> = { ser: d[2]!, diOrder };
  const items: [keyof ReadDataReply, () => R<Quantity | number>][] = heat
    ? [
        ['settlementHeat', () => r.quantity(4, 2, 'settlement-day heat')],
        ['currentHeat', () => r.quantity(4, 2, 'current heat')],
        ['heatPower', () => r.quantity(4, 2, 'heat power')],
        ['flowRate', () => r.quantity(4, 4, 'flow rate')],
        ['accumulatedFlow', () => r.quantity(4, 2, 'accumulated flow')],
        ['supplyTemperature', () => r.bcd(3, 2, 'supply temperature')],
        ['returnTemperature', () => r.bcd(3, 2, 'return temperature')],
        ['workingHours', () => r.bcd(3, 0, 'working time')],
      ]
    : [
        ['currentFlow', () => r.quantity(4, 2, 'current accumulated flow')],
        ['settlementFlow', () => r.quantity(4, 2, 'settlement-day flow')],
      ];
  for (const [key, read] of items) {
    const v = read();
    if (!v.ok) return v;
    (out as Record<string, unknown>)[key] = v.value;
  }
  const timeBytes = d.subarray(r.p, r.p + 7);
  const time = parseMeterTime(timeBytes);
  if (time.ok) out.meterTime = time.value;
  else if (time.reason.startsWith('BCD')) return time;
  else if (timeBytes.some((b) => b !== 0)) out.clockProblem = time.reason;
  const st1 = d[r.p + 7]!;
  const st2 = d[r.p + 8]!;
  out.status = { st1, st2, valve: VALVE_STATES[st1 & 0x03]!, batteryLow: (st1 & 0x04) !== 0 };
  return { ok: true, value: out as ReadDataReply };
}

/** Real time: 7 BCD bytes least significant first = ss mm hh DD MM YY(low) YY(high). */
export function parseMeterTime(b: Uint8Array): R<MeterTime> {
  const f: number[] = [];
  for (let i = 0; i < 7; i++) {
    const r = decodeBcd(b.subarray(i, i + 1), 0);
    if (!r.ok) return { ok: false, reason: `${r.reason} (real time)` };
    f.push(r.value);
  }
  const [second, minute, hour, day, month, yLow, yHigh] = f as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (second > 59 || minute > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12) {
    return { ok: false, reason: `real time: ${f.join(' ')} is not a date` };
  }
  return { ok: true, value: { year: yHigh * 100 + yLow, month, day, hour, minute, second } };
}

/** Converts a quantity to a profile unit of the same kind; undefined if the kinds differ. */
export function convertQuantity(q: Quantity, pointUnit: string): number | undefined {
  const from = UNIT_CODES[q.unitCode];
  const to = POINT_UNITS[pointUnit];
  if (!from || !to || from.kind !== to.kind) return undefined;
  return q.value * from.toBase * to.fromBase;
}

export interface ReplyValues {
  ser?: number;
  time: MeterTime;
  st1?: number;
  st2?: number;
  currentFlow?: number;
  settlementFlow?: number;
  settlementHeat?: number;
  currentHeat?: number;
  heatPower?: number;
  flowRate?: number;
  accumulatedFlow?: number;
  supplyTemperature?: number;
  returnTemperature?: number;
  workingHours?: number;
}

/**
 * Builds a read-data reply (simulators): units kW.h, kW, m3/h, m3. Returns undefined when a
 * value does not fit its BCD field.
 */
export function readDataReply(
  meterType: number,
  address: string,
  v: ReplyValues,
  preamble = 0,
): Uint8Array | undefined {
  const parts: number[] = [DI_READ_DATA & 0xff, DI_READ_DATA >> 8, v.ser ?? 0];
  const put = (x: number | undefined, bytes: number, decimals: number, unit?: number): boolean => {
    const b = encodeBcd(x ?? 0, bytes, decimals);
    if (!b) return false;
    parts.push(...b);
    if (unit !== undefined) parts.push(unit);
    return true;
  };
  const ok = isHeatMeter(meterType)
    ? put(v.settlementHeat, 4, 2, 0x05) &&
      put(v.currentHeat, 4, 2, 0x05) &&
      put(v.heatPower, 4, 2, 0x17) &&
      put(v.flowRate, 4, 4, 0x35) &&
      put(v.accumulatedFlow, 4, 2, 0x2c) &&
      put(v.supplyTemperature, 3, 2) &&
      put(v.returnTemperature, 3, 2) &&
      put(v.workingHours, 3, 0)
    : put(v.currentFlow, 4, 2, 0x2c) && put(v.settlementFlow, 4, 2, 0x2c);
  if (!ok) return undefined;
  const t = v.time;
  for (const x of [t.second, t.minute, t.hour, t.day, t.month, t.year % 100, Math.floor(t.year / 100)]) {
    parts.push(encodeBcd(x, 1, 0)![0]!);
  }
  parts.push((v.st1 ?? 0) & 0xff, (v.st2 ?? 0) & 0xff);
  return encodeFrame(meterType, address, 0x80 | FN.readData, Uint8Array.from(parts), preamble);
}
