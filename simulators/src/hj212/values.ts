/**
 * What an HJ 212 data logger prints for a value: a decimal number with three decimals (the
 * precision loggers commonly use), and the truth a reader parses back from that text.
 */
import type { Hj212Point } from '@ganzhi/device-profiles';

export const HJ212_DECIMALS = 3;

export function formatHj212(v: number): string {
  return v.toFixed(HJ212_DECIMALS);
}

export function quantiseHj212(_point: Hj212Point, v: number): number {
  if (!Number.isFinite(v)) throw new RangeError('not a finite number');
  return Number(formatHj212(v));
}
