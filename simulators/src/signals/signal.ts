/**
 * Signals: deterministic functions of time built from a SignalSpec, a seed and an origin.
 * `at(t)` gives the value at clock time t (ms since the Unix epoch); the same
 * (spec, seed, origin, t) always gives the same value, in any process.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { simError } from '../errors.js';
import { uniformAt } from './prng.js';
import { parseReplayCsv, type ReplayTable } from './replay-csv.js';
import type { SignalSpec } from './spec.js';

export type SignalValue = number | boolean | string;

export interface Signal {
  readonly spec: SignalSpec;
  at(t: number): SignalValue;
}

export interface SignalContext {
  seed: number;
  /** clock time (ms) the signal starts at; elapsed time is measured from here */
  origin: number;
  /** directory replay files are relative to */
  baseDir?: string;
}

const DEFAULT_EVERY_MS = 1000;

/** A cumulative series v(k) = step(v(k-1), k), cached so forward time costs O(1) per tick. */
function cumulative(start: number, step: (prev: number, k: number) => number): (k: number) => number {
  let ck = 0;
  let cv = start;
  return (k: number) => {
    if (k < ck) {
      ck = 0;
      cv = start;
    }
    while (ck < k) {
      ck++;
      cv = step(cv, ck);
    }
    return cv;
  };
}

export function createSignal(spec: SignalSpec, ctx: SignalContext): Signal {
  const elapsed = (t: number) => Math.max(0, t - ctx.origin);
  const frac = (t: number, period: number) => (elapsed(t) % period) / period;
  switch (spec.kind) {
    case 'constant':
      return { spec, at: () => spec.value };
    case 'sine': {
      const mid = (spec.min + spec.max) / 2;
      const amp = (spec.max - spec.min) / 2;
      const phase = spec.phase ?? 0;
      return { spec, at: (t) => mid + amp * Math.sin(2 * Math.PI * (frac(t, spec.periodMs) + phase)) };
    }
    case 'ramp':
      return { spec, at: (t) => spec.from + (spec.to - spec.from) * frac(t, spec.periodMs) };
    case 'square': {
      const duty = spec.duty ?? 0.5;
      return { spec, at: (t) => (frac(t, spec.periodMs) < duty ? spec.high : spec.low) };
    }
    case 'step': {
      const steps = [...spec.steps].sort((a, b) => a.atMs - b.atMs);
      return {
        spec,
        at: (t) => {
          const e = spec.loopMs ? elapsed(t) % spec.loopMs : elapsed(t);
          let v = steps[0]!.value;
          for (const s of steps) if (s.atMs <= e) v = s.value;
          return v;
        },
      };
    }
    case 'random-walk': {
      const every = spec.everyMs ?? DEFAULT_EVERY_MS;
      const lo = spec.min ?? Number.NEGATIVE_INFINITY;
      const hi = spec.max ?? Number.POSITIVE_INFINITY;
      const series = cumulative(spec.start, (prev, k) => {
        const next = prev + spec.step * (2 * uniformAt(ctx.seed, k) - 1);
        return Math.min(hi, Math.max(lo, next));
      });
      return { spec, at: (t) => series(Math.floor(elapsed(t) / every)) };
    }
    case 'noise': {
      const every = spec.everyMs ?? DEFAULT_EVERY_MS;
      return {
        spec,
        at: (t) => spec.mean + spec.amplitude * (2 * uniformAt(ctx.seed, Math.floor(elapsed(t) / every)) - 1),
      };
    }
    case 'counter': {
      const every = spec.everyMs ?? DEFAULT_EVERY_MS;
      const perTick = (spec.ratePerSecond * every) / 1000;
      const jitter = spec.jitter ?? 0;
      if (jitter === 0) {
        return { spec, at: (t) => spec.start + perTick * Math.floor(elapsed(t) / every) };
      }
      const series = cumulative(
        spec.start,
        (prev, k) => prev + perTick * (1 + jitter * (2 * uniformAt(ctx.seed, k) - 1)),
      );
      return { spec, at: (t) => series(Math.floor(elapsed(t) / every)) };
    }
    case 'replay': {
      const table = loadReplay(spec, ctx.baseDir);
      const col = columnIndex(table, spec.column);
      const loop = spec.loop ?? true;
      return {
        spec,
        at: (t) => {
          const e = loop ? elapsed(t) % table.periodMs : elapsed(t);
          const rows = table.rows;
          let lo = 0;
          let hi = rows.length - 1;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (rows[mid]!.offset <= e) lo = mid;
            else hi = mid - 1;
          }
          return rows[lo]!.values[col]!;
        },
      };
    }
  }
}

function loadReplay(spec: Extract<SignalSpec, { kind: 'replay' }>, baseDir?: string): ReplayTable {
  if (spec.csv !== undefined) return parseReplayCsv(spec.csv, 'inline csv');
  if (spec.file === undefined) throw simError('GZ_SIM_SIGNAL', 'replay signal needs `file` or `csv`');
  const path = resolve(baseDir ?? process.cwd(), spec.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw simError('GZ_SIM_SIGNAL', `replay file ${path} cannot be read`, cause);
  }
  return parseReplayCsv(text, path);
}

function columnIndex(table: ReplayTable, column: string | number): number {
  if (typeof column === 'number') {
    if (column > table.columns.length) {
      throw simError('GZ_SIM_SIGNAL', `replay column ${column} past the ${table.columns.length} columns`);
    }
    return column - 1;
  }
  const i = table.columns.indexOf(column);
  if (i < 0) {
    throw simError('GZ_SIM_SIGNAL', `replay column "${column}" not in ${table.columns.join(', ')}`);
  }
  return i;
}
