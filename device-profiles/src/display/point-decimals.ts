/**
 * How many decimals a point's value deserves on a page: the resolution the device has, not
 * whatever digits a float32 carries. A page shows every value of a point with the same
 * number of decimals (230.5 V next to 231.0 V, never 231 next to 230.512).
 *
 * In this order:
 * 1. not a number (boolean, string, enum label) → undefined: shown as is;
 * 2. `integer` points → 0;
 * 3. an integer register (Modbus uint16, int32 …) → the decimals of its `scale` step (0.1 → 1,
 *    0.01 → 2, 0.5 → 1, none or 10 → 0): the device cannot resolve finer;
 * 4. a DL/T 645 BCD value → the decimals of its format (`XXX.X` → 1);
 * 5. a `range` → four significant digits at the top of the range (0–500 V → 1, 45–65 Hz →
 *    2, 0–1 → 3, 0–100 000 W → 0);
 * 6. else 2.
 */
import { isIntegerType } from '../codec/encode.js';
import type { ModbusType, Point } from '../profile-schema.js';
import { dataIdInfo, formatShape } from '../protocols/dlt645/data-ids.js';

export const DEFAULT_DECIMALS = 2;
const MAX_DECIMALS = 6;

/** Decimals needed to write multiples of `step` exactly (0.1 → 1, 0.25 → 2, 5 → 0). */
export function decimalsOfStep(step: number): number {
  const s = Math.abs(step);
  if (!Number.isFinite(s) || s === 0) return DEFAULT_DECIMALS;
  for (let d = 0; d <= MAX_DECIMALS; d++) {
    const scaled = s * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return MAX_DECIMALS;
}

/** Decimals for four significant digits at `top` (500 → 1, 65 → 2, 1 → 3, 10 000 → 0). */
export function decimalsForMagnitude(top: number): number {
  const a = Math.abs(top);
  if (!Number.isFinite(a) || a === 0) return DEFAULT_DECIMALS;
  return Math.min(3, Math.max(0, 3 - Math.floor(Math.log10(a))));
}

export type DecimalsPoint = Pick<Point, 'type' | 'scale' | 'enum' | 'range'> & {
  modbus?: { type?: string };
  dlt645?: { dataId: string; format?: string };
};

export function pointDecimals(p: DecimalsPoint): number | undefined {
  if (p.type === 'boolean' || p.type === 'string' || p.enum !== undefined) return undefined;
  if (p.type === 'integer') return 0;
  if (p.modbus?.type !== undefined && isIntegerType(p.modbus.type as ModbusType)) {
    return decimalsOfStep(p.scale ?? 1);
  }
  if (p.dlt645) {
    const format = p.dlt645.format ?? dataIdInfo(p.dlt645.dataId)?.format;
    const shape = format === undefined ? undefined : formatShape(format);
    if (shape) return shape.decimals;
  }
  if (p.range) return decimalsForMagnitude(Math.max(Math.abs(p.range.min), Math.abs(p.range.max)));
  return DEFAULT_DECIMALS;
}
