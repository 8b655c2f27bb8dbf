/** An OPC UA DataValue → a reading: source time, status code → quality, engineering value. */
import { type OpcuaPoint, type RawValue, toEngineering } from '@ganzhi/device-profiles';
import type { DataValue } from 'node-opcua';
import type { DriverReading } from '../driver.js';

/** Severity bits of a StatusCode: 00 good, 01 uncertain, 10/11 bad. */
export function qualityOf(code: number): 'good' | 'uncertain' | 'bad' {
  const severity = code >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

function rawOf(v: unknown): RawValue | undefined {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'bigint')
    return v;
  // node-opcua represents Int64/UInt64 as [high, low]
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) {
    return BigInt(v[0] as number) * 4294967296n + BigInt((v[1] as number) >>> 0);
  }
  if (v instanceof Date) return v.getTime();
  return undefined;
}

export function readingOf(device: string, point: OpcuaPoint, dv: DataValue, now: number): DriverReading {
  const ts = dv.sourceTimestamp?.getTime() ?? dv.serverTimestamp?.getTime() ?? now;
  const base = { device, point: point.name, unit: point.unit, ts };
  const code = dv.statusCode?.value ?? 0;
  const quality = qualityOf(code);
  const name = dv.statusCode?.name ?? `0x${code.toString(16)}`;
  if (quality === 'bad') return { ...base, value: null, quality, reason: name };
  const raw = rawOf(dv.value?.value);
  if (raw === undefined) return { ...base, value: null, quality: 'bad', reason: 'unsupported value type' };
  let value: DriverReading['value'];
  try {
    value = toEngineering(point, raw);
  } catch (err) {
    return { ...base, value: null, quality: 'bad', reason: `decode: ${(err as Error).message}` };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { ...base, value: null, quality: 'bad', reason: 'not a number' };
  }
  const r: DriverReading = { ...base, value, quality };
  if (quality === 'uncertain') r.reason = name;
  else if (typeof value === 'number' && point.range && (value < point.range.min || value > point.range.max)) {
    r.quality = 'uncertain';
    r.reason = 'out of range';
  }
  return r;
}
