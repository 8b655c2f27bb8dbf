/**
 * What a CJ/T 188 meter serves for a point: quantities in the units the simulated meter
 * reports (kWh, kW, m³/h, m³; °C, h) at the resolution of the item's BCD format, and the
 * truth a reader decodes and converts to the point's unit.
 */
import { type Cjt188Point, cjt188 } from '@ganzhi/device-profiles';

/** item → [decimals, digits, served unit] */
export const ITEM_SHAPE: Record<string, [number, number, string | undefined]> = {
  'current-flow': [2, 8, 'm3'],
  'settlement-flow': [2, 8, 'm3'],
  'settlement-heat': [2, 8, 'kW.h'],
  'current-heat': [2, 8, 'kW.h'],
  'heat-power': [2, 8, 'kW'],
  'flow-rate': [4, 8, 'm3/h'],
  'accumulated-flow': [2, 8, 'm3'],
  'supply-temperature': [2, 6, undefined],
  'return-temperature': [2, 6, undefined],
  'working-hours': [0, 6, undefined],
};

/** Point value → value in the served unit; undefined if the unit cannot be converted. */
export function toServed(point: Cjt188Point, v: number): number | undefined {
  const [, , served] = ITEM_SHAPE[point.cjt188.field] ?? [];
  if (!served) return v;
  const from = cjt188.POINT_UNITS[point.unit];
  const to = cjt188.POINT_UNITS[served];
  if (!from || !to) return undefined;
  return (v / from.fromBase) * to.fromBase;
}

export function quantiseCjt188(point: Cjt188Point, v: number | string | boolean): number | string | boolean {
  const f = point.cjt188.field;
  if (f === 'valve')
    return (cjt188.VALVE_STATES as readonly string[]).includes(String(v)) && v !== 'reserved'
      ? String(v)
      : 'open';
  if (f === 'battery-low') return v === true;
  const shape = ITEM_SHAPE[f];
  const served = typeof v === 'number' ? toServed(point, v) : undefined;
  if (!shape || served === undefined || served < 0 || served >= 10 ** (shape[1] - shape[0])) {
    throw new RangeError(`${point.name}: ${String(v)} cannot be served as ${f}`);
  }
  const q = Math.round(served * 10 ** shape[0]) / 10 ** shape[0];
  const unit = shape[2];
  if (!unit) return q;
  const code = Number(Object.entries(cjt188.UNIT_CODES).find(([, u]) => u.symbol === unit)?.[0]);
  return cjt188.convertQuantity({ value: q, unitCode: code, unit }, point.unit) ?? q;
}
