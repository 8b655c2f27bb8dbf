/**
 * Default signal per point, derived from the profile: totals (kW.h, m3, GJ, h) count up,
 * booleans toggle, enums hold their healthy state (a fault code's "none") or code 1, numbers follow a sine inside the
 * point's range (or a plausible range for its unit). Periods and phases differ per
 * device and point (from the seed) so a city of devices does not move in lockstep.
 */
import { isModbusPoint, type Point } from '@ganzhi/device-profiles';
import { deriveSeed, uniformAt } from '../signals/prng.js';
import type { SignalSpec } from '../signals/spec.js';

/** units of quantities that only accumulate: energy, volume, operating hours */
const TOTAL_UNITS = new Set([
  'kW.h',
  'kWh',
  'MW.h',
  'W.h',
  'kvar.h',
  'kVA.h',
  'GJ',
  'MJ',
  'm3',
  'L',
  'l',
  'h',
]);

/** Plausible ranges by unit when the profile gives none. */
const UNIT_RANGES: Record<string, [number, number]> = {
  V: [225, 235],
  A: [2, 20],
  Hz: [49.9, 50.1],
  kW: [1, 30],
  W: [100, 3000],
  VA: [100, 3000],
  var: [0, 500],
  '[ppb]': [5, 60],
  'GJ/h': [0.1, 2],
  '/min': [900, 1500],
  Cel: [10, 30],
  '%': [35, 75],
  'ug/m3': [10, 80],
  'mg/m3': [0.2, 2],
  hPa: [995, 1025],
  'm/s': [0, 12],
  deg: [0, 360],
  'm3/h': [5, 50],
  bar: [1, 6],
  kPa: [100, 600],
  ppm: [400, 900],
  lx: [0, 500],
  'km/h': [0, 60],
  kn: [0, 30],
};

export function isTotal(point: Point): boolean {
  return TOTAL_UNITS.has(point.unit);
}

/** Largest engineering value the point's register can hold (for clamping defaults). */
function registerMax(point: Point): number {
  if (!isModbusPoint(point)) return Number.MAX_SAFE_INTEGER;
  const scale = Math.abs(point.scale ?? 1);
  const off = point.offset ?? 0;
  switch (point.modbus.type) {
    case 'int16':
      return 32767 * scale + off;
    case 'uint16':
      return 65535 * scale + off;
    case 'int32':
      return 2147483647 * scale + off;
    case 'uint32':
      return 4294967295 * scale + off;
    default:
      return Number.MAX_SAFE_INTEGER;
  }
}

export function defaultSignal(point: Point, seed: number): SignalSpec {
  const s = deriveSeed(seed, `default:${point.name}`);
  const u = (i: number) => uniformAt(s, i);
  if (point.enum) {
    // the healthy state when the enum names one (a fault code's "none"), else code 1, else the first
    const keys = Object.keys(point.enum);
    const healthy = keys.find((k) => /^(none|ok|normal|no fault)$/i.test(point.enum?.[k] ?? ''));
    return { kind: 'constant', value: Number(healthy ?? (keys.includes('1') ? '1' : (keys[0] ?? 0))) };
  }
  if (point.type === 'string') return { kind: 'constant', value: point.name.toUpperCase().slice(0, 8) };
  if (point.type === 'boolean') {
    return { kind: 'square', low: 0, high: 1, periodMs: Math.round(60_000 + 240_000 * u(0)) };
  }
  if (point.name === 'latitude' || point.name === 'longitude') {
    // a vehicle wandering around central Beijing
    const start = point.name === 'latitude' ? 39.9042 + 0.02 * u(5) : 116.4074 + 0.02 * u(6);
    return { kind: 'random-walk', start, step: 0.0002, everyMs: 1000 };
  }
  if (isTotal(point)) {
    const start = Math.min(registerMax(point) / 4, point.range?.min ?? Math.round(1000 + 9000 * u(1)));
    return { kind: 'counter', start, ratePerSecond: 0.001 + 0.01 * u(2) };
  }
  const byUnit = UNIT_RANGES[point.unit];
  const r = point.range;
  let lo: number;
  let hi: number;
  if (byUnit && (!r || (byUnit[0] >= r.min && byUnit[1] <= r.max))) {
    [lo, hi] = byUnit;
  } else if (r) {
    const span = r.max - r.min;
    [lo, hi] = [r.min + span * 0.25, r.min + span * 0.75];
  } else {
    [lo, hi] = [0, 100];
  }
  hi = Math.min(hi, registerMax(point));
  if (point.type === 'integer') [lo, hi] = [Math.ceil(lo), Math.floor(hi)];
  return {
    kind: 'sine',
    min: lo,
    max: Math.max(lo, hi),
    periodMs: Math.round(60_000 + 540_000 * u(3)),
    phase: u(4),
  };
}
