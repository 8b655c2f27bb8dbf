/**
 * What the meter-bus drivers (DL/T 645, CJ/T 188) share between request and reading: the
 * reason a failed exchange gives its points, the raw BCD digits shown beside a value, and a
 * good reading checked against the point's range.
 */
import type { Point, Value } from '@ganzhi/device-profiles';
import { badReading, type DriverReading } from '../driver.js';
import type { BusResult } from './bus-line.js';

/** `checksum` for a bad checksum, `bad frame: <class>` for other refusals (`truncated`, `terminator` …). */
export function frameReason(reason: string): string {
  const cls = reason.split(':')[0]!.trim();
  return cls === 'checksum' ? 'checksum' : `bad frame: ${cls}`;
}

/** The reason a failed bus exchange gives its points. */
export function failureReason(r: Extract<BusResult<unknown>, { ok: false }>): string {
  return r.kind === 'frame' ? frameReason(r.reason) : r.reason;
}

/**
 * BCD bytes (least significant first, as on the wire) as 16-bit words most significant first,
 * so the status page's hex column shows the meter's digits: 230.1 V (01 23) → 2301.
 */
export function bcdWords(bytes: Uint8Array): number[] {
  const msbFirst = Array.from(bytes).reverse();
  if (msbFirst.length % 2 === 1) msbFirst.unshift(0);
  const words: number[] = [];
  for (let i = 0; i < msbFirst.length; i += 2) words.push((msbFirst[i]! << 8) | msbFirst[i + 1]!);
  return words;
}

/** A decoded value as a reading: bad when not a number, uncertain outside the point's range. */
export function valueReading(
  device: string,
  point: Point,
  value: Value,
  ts: number,
  raw?: number[],
): DriverReading {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { ...badReading(device, point, ts, 'not a number'), ...(raw ? { raw } : {}) };
  }
  const r: DriverReading = { device, point: point.name, value, unit: point.unit, ts, quality: 'good' };
  if (raw) r.raw = raw;
  if (typeof value === 'number' && point.range && (value < point.range.min || value > point.range.max)) {
    r.quality = 'uncertain';
    r.reason = 'out of range';
  }
  return r;
}
