/**
 * Sparkplug metrics → contract readings (the same schema as our own gateways' data): source
 * timestamp, unit from the metric's properties, quality from `is_null` and the `Quality`
 * property (Sparkplug 3.0 §6.4.9.1: 0 BAD, 192 GOOD, 500 STALE).
 *
 *   value      Int*, UInt*, Float, Double, DateTime → number (64-bit integers beyond 2^53 are
 *              rounded and marked uncertain); Boolean; String, Text, UUID → string
 *   ts         metric timestamp, else the payload timestamp, else the receive time
 *   quality    is_null → bad ("is_null"); Quality 0 → bad; 500 → uncertain (stale); else good.
 *              A `reason` string property, when present, is kept as the reason.
 *   unit       property engUnit / engUnits / Engineering Units / unit / units (string)
 */
import { LIMITS, sparkplug, type WireReading } from '@ganzhi/device-profiles';

const { DataType, dataTypeName, isScalarType, propertyMap, typedValue } = sparkplug;

/** What the host knows of one metric from its birth certificate. */
export interface MetricDef {
  name: string;
  /** contract point name */
  point: string;
  datatype: number;
  /** Sparkplug device id, or null for the edge node's own metrics */
  device: string | null;
  unit: string;
}

export const UNIT_KEYS = ['engUnit', 'engUnits', 'Engineering Units', 'unit', 'units'];
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Control metrics are commands and bookkeeping, not measurements: never stored. */
export function isControlMetric(name: string): boolean {
  return name === 'bdSeq' || name.startsWith('Node Control/') || name.startsWith('Device Control/');
}

export function unitOf(props: Map<string, unknown>): string | undefined {
  for (const k of UNIT_KEYS) {
    const v = props.get(k);
    if (typeof v === 'string' && v.length > 0) return v.slice(0, 32);
  }
  return undefined;
}

/** The contract point type of a Sparkplug datatype (for the device meta). */
export function pointType(datatype: number): 'float' | 'integer' | 'boolean' | 'string' {
  switch (datatype) {
    case DataType.Float:
    case DataType.Double:
      return 'float';
    case DataType.Boolean:
      return 'boolean';
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      return 'string';
    default:
      return 'integer';
  }
}

export type ReadingResult = { ok: true; reading: WireReading } | { ok: false; reason: string };

/** One metric (already resolved to its definition) → one reading, or why it cannot be stored. */
export function toReading(
  def: MetricDef,
  m: sparkplug.Metric,
  payloadTs: number | undefined,
  now: number,
): ReadingResult {
  if (!isScalarType(def.datatype))
    return { ok: false, reason: `datatype ${dataTypeName(def.datatype)} is not stored by the hub` };
  const ts = m.timestamp ?? payloadTs ?? now;
  const props = propertyMap(m.properties);
  const unit = unitOf(props) ?? def.unit;
  const q = props.get('Quality');
  const reasonProp = props.get('reason');
  let quality: WireReading['quality'] = 'good';
  let reason: string | undefined;
  if (q === 0 || q === 0n) {
    quality = 'bad';
    reason = 'Sparkplug quality BAD (0)';
  } else if (q === 500 || q === 500n) {
    quality = 'uncertain';
    reason = 'Sparkplug quality STALE (500)';
  }
  if (quality !== 'good' && typeof reasonProp === 'string' && reasonProp.length > 0)
    reason = reasonProp.slice(0, LIMITS.maxReason);
  let value: WireReading['value'];
  if (m.isNull) {
    value = null;
    if (quality === 'good') {
      quality = 'bad';
      reason = 'is_null';
    }
  } else {
    const t = typedValue(def.datatype, m.raw);
    if (!t.ok) return { ok: false, reason: t.error };
    const v = t.value;
    if (typeof v === 'bigint') {
      value = Number(v);
      if (v > MAX_SAFE || v < -MAX_SAFE) {
        quality = 'uncertain';
        reason = `64-bit value ${v} beyond 2^53, stored rounded`;
      }
    } else if (typeof v === 'number' && !Number.isFinite(v)) {
      value = null;
      quality = 'bad';
      reason = `non-finite value (${String(v)})`;
    } else if (typeof v === 'string' && v.length > LIMITS.maxStringValue) {
      return { ok: false, reason: `string longer than ${LIMITS.maxStringValue} characters` };
    } else value = v;
  }
  const reading: WireReading = { point: def.point, value, ts, quality };
  if (quality !== 'good') reading.reason = reason ?? 'unspecified';
  if (unit) reading.unit = unit;
  return { ok: true, reading };
}
