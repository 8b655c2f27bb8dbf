/**
 * Plausibility of served or stored values against a profile's relations: does one sample of a
 * device agree with itself (derived points equal their relation, checks hold), and does a
 * series of samples agree with the stateful relations (an integral rises as its integrand
 * says, a follow() moves no faster than its rate)?
 *
 * Tolerances are computed, not guessed: a derived value may differ from its relation by its
 * own quantisation (resolution.ts) plus how much the relation moves when each input moves by
 * that input's uncertainty (its quantisation, plus what the caller adds: a deadband, or the
 * change of an input read a few ms apart from the others). A boolean or text relation must
 * match exactly unless an input's uncertainty could flip it.
 */
import {
  type CallExpr,
  type CompiledModel,
  type CompiledRelation,
  compileModel,
  type DeviceModel,
  type EvalScope,
  type Expr,
  evalExpr,
  exprCalls,
  ModelEvalError,
  type ModelValue,
  type Point,
  type Profile,
  toNumber,
  type Value,
} from '@ganzhi/device-profiles';
import { mergeRelations } from '../device/sim-device.js';
import { resolution } from './resolution.js';

export interface Violation {
  /** sample time (ms) where it was seen; for a series check the end of the window */
  ts: number;
  kind: 'relation' | 'check' | 'integral' | 'follow';
  /** the derived point (relations) or the check's text */
  point?: string;
  relation: string;
  actual?: Value;
  expected?: ModelValue;
  tolerance?: number;
  message: string;
}

export interface SampleInput {
  ts: number;
  /** engineering values as decoded (booleans, enum labels as text) */
  values: ReadonlyMap<string, Value>;
  /** extra uncertainty per point beyond its quantisation (deadband, staleness) */
  slack?: ReadonlyMap<string, number>;
  /** points read at this instant (default: all in `values`); relations are checked for these */
  fresh?: ReadonlySet<string>;
}

const REL_EPS = 1e-9;

/**
 * An integral is checked only across sample gaps of at most this many model steps: the
 * bounds take x between two samples to lie between their values, which a signal sampled
 * every step or two follows (the rest is the edge allowance), and a longer gap does not.
 */
const MAX_GAP_STEPS = 2;

/** A relation whose only stateful part is one call: target = g(call). */
interface StatefulForm {
  rel: CompiledRelation;
  call: CallExpr;
  /** the target is whole numbers (floor/round around the state) */
  granular: boolean;
}

export class RelationChecker {
  readonly model: CompiledModel | undefined;
  private readonly points: Map<string, Point>;
  /** relations a single sample can check (no state, no own signal) */
  readonly pure: CompiledRelation[] = [];
  readonly stateful: StatefulForm[] = [];
  /** relations that cannot be checked from served values, with why */
  readonly unchecked: { point: string; why: string }[] = [];

  constructor(
    readonly profile: Profile,
    overrides?: DeviceModel,
  ) {
    this.points = new Map(profile.points.map((p) => [p.name, p]));
    const c = compileModel(
      mergeRelations(profile.relations, overrides),
      profile.points.map((p) => p.name),
    );
    if (!c.model) throw new Error(c.findings.map((f) => `${f.path.join('.')}: ${f.message}`).join('; '));
    this.model = c.model;
    for (const rel of c.model.relations.values()) {
      const calls = exprCalls(rel.expr).filter((k) => k.fn === 'integral' || k.fn === 'follow');
      if (!rel.stateful) {
        if (rel.usesOwnSignal) this.unchecked.push({ point: rel.point, why: 'reads its own signal (self)' });
        else this.pure.push(rel);
      } else if (pointsOutsideState(rel.expr, this.points).length > 0) {
        // the part outside the state reads other points (an accumulator's fraction = total −
        // integer part): its rise is not the integral's alone
        this.unchecked.push({ point: rel.point, why: 'its stateful relation also reads other points' });
      } else if (new Set(calls.map((k) => JSON.stringify(k))).size === 1) {
        const granular = exprCalls(rel.expr).some((k) => k.fn === 'floor' || k.fn === 'round');
        this.stateful.push({ rel, call: calls[0] as CallExpr, granular });
      } else {
        this.unchecked.push({ point: rel.point, why: 'more than one stateful call' });
      }
    }
  }

  private scope(values: ReadonlyMap<string, Value>, state?: number): EvalScope {
    return {
      ref: (n) => {
        const v = values.get(n);
        if (v !== undefined && v !== null) return v;
        const p = this.model?.params[n];
        if (p !== undefined) return p;
        if (n === 'pi') return Math.PI;
        if (n === 'initial') return 0;
        throw new ModelEvalError(`no value for ${n}`);
      },
      stateful: () => {
        if (state === undefined) throw new ModelEvalError('stateful');
        return state;
      },
    };
  }

  private eval(e: Expr, values: ReadonlyMap<string, Value>, state?: number): ModelValue | undefined {
    try {
      const v = evalExpr(e, this.scope(values, state));
      return typeof v === 'number' && !Number.isFinite(v) ? undefined : v;
    } catch {
      return undefined;
    }
  }

  /** Uncertainty of each numeric input of an expression. */
  private deltas(deps: readonly string[], s: SampleInput): Map<string, number> {
    const out = new Map<string, number>();
    for (const d of deps) {
      const v = s.values.get(d);
      const p = this.points.get(d);
      if (typeof v !== 'number' || !p) continue;
      out.set(d, resolution(p, v) + (s.slack?.get(d) ?? 0));
    }
    return out;
  }

  /**
   * How far `e` may move when its inputs move within their uncertainty (sum of one-at-a-time
   * deviations), and whether a boolean/text result could change.
   */
  private sensitivity(
    e: Expr,
    deps: readonly string[],
    s: SampleInput,
    base: ModelValue,
  ): { spread: number; flips: boolean } {
    let spread = 0;
    let flips = false;
    for (const [name, d] of this.deltas(deps, s)) {
      if (d === 0) continue;
      const v = s.values.get(name) as number;
      let most = 0;
      for (const sign of [-1, 1]) {
        const moved = new Map(s.values);
        moved.set(name, v + sign * d);
        const r = this.eval(e, moved);
        if (r === undefined) continue;
        if (typeof r === 'number' && typeof base === 'number') most = Math.max(most, Math.abs(r - base));
        else if (r !== base) flips = true;
      }
      spread += most;
    }
    return { spread, flips };
  }

  /** Checks one sample: every pure relation whose target is fresh, and every check. */
  checkSample(s: SampleInput): Violation[] {
    const out: Violation[] = [];
    const fresh = s.fresh ?? new Set(s.values.keys());
    for (const rel of this.pure) {
      if (!fresh.has(rel.point)) continue;
      const actual = s.values.get(rel.point);
      if (actual === undefined || actual === null) continue;
      if (rel.deps.some((d) => s.values.get(d) === undefined || s.values.get(d) === null)) continue;
      const expected = this.eval(rel.expr, s.values);
      if (expected === undefined) continue;
      const target = this.points.get(rel.point) as Point;
      if (typeof expected === 'number' && typeof actual === 'number') {
        const { spread } = this.sensitivity(rel.expr, rel.deps, s, expected);
        const tol =
          resolution(target, actual) +
          (s.slack?.get(rel.point) ?? 0) +
          spread +
          REL_EPS * Math.max(1, Math.abs(expected));
        if (Math.abs(actual - expected) > tol) {
          out.push({
            ts: s.ts,
            kind: 'relation',
            point: rel.point,
            relation: `${rel.point} = ${rel.source}`,
            actual,
            expected,
            tolerance: tol,
            message: `${rel.point} is ${actual}, its relation gives ${round(expected)} (± ${round(tol)})`,
          });
        }
      } else if (!sameValue(actual, expected)) {
        if (this.sensitivity(rel.expr, rel.deps, s, expected).flips) continue;
        out.push({
          ts: s.ts,
          kind: 'relation',
          point: rel.point,
          relation: `${rel.point} = ${rel.source}`,
          actual,
          expected,
          message: `${rel.point} is ${JSON.stringify(actual)}, its relation gives ${JSON.stringify(expected)}`,
        });
      }
    }
    for (const check of this.model?.checks ?? []) {
      if (!check.deps.some((d) => fresh.has(d))) continue;
      if (check.deps.some((d) => s.values.get(d) === undefined || s.values.get(d) === null)) continue;
      const ok = this.eval(check.expr, s.values);
      if (ok === undefined || ok === true) continue;
      if (checkHoldsWithin(this, check.expr, check.deps, s)) continue;
      out.push({
        ts: s.ts,
        kind: 'check',
        relation: check.source,
        message: `check fails: ${check.source}`,
      });
    }
    return out;
  }

  /** A comparison at the top of a check holds when its sides may move by their uncertainty. */
  sidesWithin(e: Expr, deps: readonly string[], s: SampleInput): boolean {
    if (e.k !== 'bin' || !['<', '<=', '>', '>=', '=='].includes(e.op)) {
      return this.sensitivity(e, deps, s, false).flips;
    }
    const a = this.eval(e.a, s.values);
    const b = this.eval(e.b, s.values);
    if (typeof a !== 'number' || typeof b !== 'number') return this.sensitivity(e, deps, s, false).flips;
    const slack =
      this.sensitivity(e.a, deps, s, a).spread +
      this.sensitivity(e.b, deps, s, b).spread +
      REL_EPS * Math.max(1, Math.abs(a), Math.abs(b));
    switch (e.op) {
      case '<':
      case '<=':
        return a <= b + slack;
      case '>':
      case '>=':
        return a + slack >= b;
      default:
        return Math.abs(a - b) <= slack;
    }
  }

  /**
   * Checks the stateful relations over a time-ordered series of samples of one device:
   * integral(x): the target's rise between its first and last value equals g(∫x dt) (x from
   * the samples; bounds from x's least and largest value in each interval, one time step at
   * each end, the target's resolution, one whole unit for a floor()ed target). Those bounds
   * hold only where the samples follow x: between two samples more than MAX_GAP_STEPS model
   * steps apart x may have gone anywhere (a 19 s gap between −84 W and 72 W hid a 500 W
   * peak), so the series is checked in runs split at such gaps, each run on its own;
   * follow(x, rate): between two values of the target it moved by no more than rate × time
   * (plus two time steps).
   */
  checkSeries(samples: readonly SampleInput[]): Violation[] {
    const out: Violation[] = [];
    const stepS = (this.model?.stepMs ?? 1000) / 1000;
    for (const form of this.stateful) {
      const { rel, call } = form;
      const target = this.points.get(rel.point) as Point;
      const rows = samples.filter(
        (s) => typeof s.values.get(rel.point) === 'number' && (s.fresh?.has(rel.point) ?? true),
      );
      if (rows.length < 2) continue;
      const arg = call.args[0] as Expr;
      if (call.fn === 'integral') {
        // x from every sample that has it, in runs without a gap the samples cannot bridge
        const maxGapMs = MAX_GAP_STEPS * stepS * 1000;
        const runs: { ts: number; x: number }[][] = [];
        let run: { ts: number; x: number }[] = [];
        for (const s of samples) {
          if (s.ts < (rows[0] as SampleInput).ts || s.ts > (rows[rows.length - 1] as SampleInput).ts)
            continue;
          const x = this.eval(arg, s.values);
          if (typeof x !== 'number' && typeof x !== 'boolean') continue;
          const prev = run[run.length - 1];
          if (prev !== undefined && s.ts - prev.ts > maxGapMs) {
            runs.push(run);
            run = [];
          }
          run.push({ ts: s.ts, x: toNumber(x) });
        }
        runs.push(run);
        for (const xsRun of runs) {
          const v = this.checkIntegral(form, target, rows, xsRun, stepS);
          if (v) out.push(v);
        }
      } else {
        const rateExpr = call.args[1] as Expr;
        for (let i = 1; i < rows.length; i++) {
          const a = rows[i - 1] as SampleInput;
          const b = rows[i] as SampleInput;
          const va = a.values.get(rel.point) as number;
          const vb = b.values.get(rel.point) as number;
          const rate = this.eval(rateExpr, b.values);
          if (typeof rate !== 'number') continue;
          const most =
            Math.abs(rate) * ((b.ts - a.ts) / 1000 + 2 * stepS) +
            resolution(target, va) +
            resolution(target, vb) +
            (a.slack?.get(rel.point) ?? 0) +
            (b.slack?.get(rel.point) ?? 0);
          if (Math.abs(vb - va) > most) {
            out.push({
              ts: b.ts,
              kind: 'follow',
              point: rel.point,
              relation: `${rel.point} = ${rel.source}`,
              actual: vb,
              message: `${rel.point} moved from ${round(va)} to ${round(vb)} in ${round((b.ts - a.ts) / 1000)} s: faster than its rate ${round(Math.abs(rate))}/s allows (${round(most)})`,
            });
          }
        }
      }
    }
    return out;
  }

  /**
   * One run of the integral check: the target's rise between its first and last value within
   * the run against ∫x dt over the run's samples `xs` (consecutive, no gap past MAX_GAP_STEPS).
   */
  private checkIntegral(
    form: StatefulForm,
    target: Point,
    rows: readonly SampleInput[],
    xs: readonly { ts: number; x: number }[],
    stepS: number,
  ): Violation | undefined {
    const { rel } = form;
    if (xs.length < 2) return undefined;
    const from = (xs[0] as { ts: number }).ts;
    const to = (xs[xs.length - 1] as { ts: number }).ts;
    const inRun = rows.filter((r) => r.ts >= from && r.ts <= to);
    if (inRun.length < 2) return undefined;
    const first = inRun[0] as SampleInput;
    const last = inRun[inRun.length - 1] as SampleInput;
    const t0 = first.values.get(rel.point) as number;
    const t1 = last.values.get(rel.point) as number;
    const span = xs.filter((p) => p.ts >= first.ts && p.ts <= last.ts);
    if (span.length < 2) return undefined;
    let lo = 0;
    let hi = 0;
    let mid = 0;
    let maxAbs = 0;
    for (let i = 1; i < span.length; i++) {
      const a = span[i - 1] as { ts: number; x: number };
      const b = span[i] as { ts: number; x: number };
      const dt = (b.ts - a.ts) / 1000;
      lo += Math.min(a.x, b.x) * dt;
      hi += Math.max(a.x, b.x) * dt;
      mid += ((a.x + b.x) / 2) * dt;
      maxAbs = Math.max(maxAbs, Math.abs(a.x), Math.abs(b.x));
    }
    const edge = 2 * stepS * maxAbs;
    const g = (j: number) => this.eval(rel.expr, last.values, j);
    const g0 = g(0);
    if (typeof g0 !== 'number') return undefined;
    const rise = (j: number) => (g(j) as number) - g0;
    const slope = Math.abs(rise(1e6) / 1e6) || Math.abs(rise(1e9) / 1e9);
    const expectLo = Math.min(rise(lo - edge), rise(hi + edge));
    const expectHi = Math.max(rise(lo - edge), rise(hi + edge));
    const tol =
      resolution(target, t0) + resolution(target, t1) + (form.granular ? 1 : 0) + REL_EPS * Math.abs(t1);
    const actual = t1 - t0;
    if (actual < expectLo - tol || actual > expectHi + tol) {
      return {
        ts: last.ts,
        kind: 'integral',
        point: rel.point,
        relation: `${rel.point} = ${rel.source}`,
        actual,
        expected: slope * mid,
        tolerance: (expectHi - expectLo) / 2 + tol,
        message: `${rel.point} rose by ${round(actual)} in ${round((last.ts - first.ts) / 1000)} s; integrating gives ${round(expectLo)}..${round(expectHi)} (± ${round(tol)})`,
      };
    }
    return undefined;
  }
}

/** Points an expression reads outside its integral()/follow() calls. */
function pointsOutsideState(e: Expr, points: ReadonlyMap<string, Point>): string[] {
  switch (e.k) {
    case 'ref':
      return points.has(e.name) ? [e.name] : [];
    case 'neg':
    case 'not':
      return pointsOutsideState(e.a, points);
    case 'bin':
      return [...pointsOutsideState(e.a, points), ...pointsOutsideState(e.b, points)];
    case 'cond':
      return [e.c, e.a, e.b].flatMap((x) => pointsOutsideState(x, points));
    case 'call':
      return e.fn === 'integral' || e.fn === 'follow'
        ? []
        : e.args.flatMap((x) => pointsOutsideState(x, points));
    default:
      return [];
  }
}

function checkHoldsWithin(c: RelationChecker, e: Expr, deps: readonly string[], s: SampleInput): boolean {
  // `a and b`: each part on its own
  if (e.k === 'bin' && e.op === 'and') {
    return checkHoldsWithin(c, e.a, deps, s) && checkHoldsWithin(c, e.b, deps, s);
  }
  return c.sidesWithin(e, deps, s);
}

function sameValue(a: Value, b: ModelValue): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const x = typeof a === 'boolean' ? a : a === 1 || a === '1' || a === 'true';
    const y = typeof b === 'boolean' ? b : b === 1 || b === '1' || b === 'true';
    return x === y;
  }
  return String(a) === String(b);
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}
