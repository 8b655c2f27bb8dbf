/**
 * What a DL/T 645 meter serves for a point: the engineering value encoded in the data
 * identifier's BCD format (raw = (value - offset) / scale), and the truth a correct reader
 * decodes from exactly those bytes.
 */
import { type Dlt645Point, dlt645, toEngineering } from '@ganzhi/device-profiles';

export function formatOf(point: Dlt645Point): dlt645.DataIdFormat | undefined {
  const info = dlt645.dataIdInfo(point.dlt645.dataId);
  const format = point.dlt645.format ?? info?.format;
  if (!format) return undefined;
  return { format, signed: point.dlt645.signed ?? info?.signed ?? false };
}

/** The value bytes (without DI, before the 0x33 offset); undefined when it does not fit. */
export function encodeDlt645(point: Dlt645Point, value: number): Uint8Array | undefined {
  const fmt = formatOf(point);
  if (!fmt) return undefined;
  const raw = (value - (point.offset ?? 0)) / (point.scale ?? 1);
  return dlt645.encodeValue(raw, fmt);
}

export function decodeDlt645(point: Dlt645Point, bytes: Uint8Array): number | undefined {
  const fmt = formatOf(point);
  if (!fmt) return undefined;
  const r = dlt645.decodeValue(bytes, fmt);
  if (!r.ok) return undefined;
  const v = toEngineering(point, r.value);
  return typeof v === 'number' ? v : undefined;
}

export function quantiseDlt645(point: Dlt645Point, v: number): number {
  const b = encodeDlt645(point, v);
  const back = b && decodeDlt645(point, b);
  if (back === undefined) throw new RangeError(`${point.name}: ${v} does not fit ${formatOf(point)?.format}`);
  return back;
}
