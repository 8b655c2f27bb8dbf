/**
 * The device model at run time: the value of every point of one device at a time t, with
 * derived points computed from the others by the profile's relations, so one sample never
 * contradicts itself.
 *
 * - An input point (no relation) follows its signal history (the scenario's signal, then
 *   whatever a write or the control API set, each from its time on).
 * - A derived point evaluates its relation over the other points' values at the same t (a
 *   *snapshot*); `self` is its own signal at t, `initial` its signal at the start. A derived
 *   point given a signal explicitly (scenario, control API, write) follows that signal instead,
 *   unless its relation reads self/initial — then the signal is that input.
 * - integral() and follow() advance on a fixed grid (stepMs) from the start, each step from the
 *   device's *physical* history (values with the faults certain to apply), so the value at t is
 *   a pure function of (seed, origin, signal and fault history, t); caches keep forward time
 *   O(1) per step and are rewound (to a checkpoint) when the history changes.
 * - Value faults (stuck, spike) act on the point they name, before the points that read it:
 *   a stuck `fault_code` trips the pump and the pump stops; a spike on a current raises the
 *   power computed from it. A fault on a derived point breaks that point's own relation, as a
 *   failing sensor would (what plausibility checks are for).
 *
 * Modes: `served` (every fault, probability draws and hit counts — what a client gets),
 * `physical` (faults of probability 1 only, no side effects — the history), `clean` (no value
 * faults — the control API's fault-free value).
 */
import {
  type CallExpr,
  type CompiledModel,
  type CompiledRelation,
  type EvalScope,
  evalExpr,
  evalRelation,
  ModelEvalError,
  type ModelValue,
  type Point,
  toNumber,
  type Value,
} from '@ganzhi/device-profiles';
import { coerce } from '../device/quantise.js';
import type { FaultState } from '../faults/fault-state.js';
import type { SignalValue } from '../signals/signal.js';

export type EvalMode = 'served' | 'physical' | 'clean';

export interface EngineOptions {
  points: readonly Point[];
  model: CompiledModel | undefined;
  origin: number;
  faults: FaultState;
  /** a point's signal value at t (its signal history) */
  signalAt(point: string, t: number): SignalValue;
  /** true when the point's signal in force at t was given explicitly (scenario, control API, write) */
  overridden?(point: string, t: number): boolean;
}

/** every this many grid steps a stateful series keeps a checkpoint to rewind to */
const CHECKPOINT_EVERY = 256;

interface Series {
  call: CallExpr;
  /** the point whose relation holds this call (for self / initial) */
  owner: string;
  k: number;
  v: number;
  inited: boolean;
  checkpoints: Map<number, number>;
  /** the last few steps' values: a step of another series may ask for one just behind */
  recent: Map<number, number>;
}

/** how many past steps each series keeps at hand */
const RECENT = 8;

/** A value in the model: the point's engineering value, enum codes as their labels. */
export function normalise(point: Point, v: SignalValue): Value {
  const c = coerce(point, v);
  if (point.enum && (typeof c === 'number' || typeof c === 'string')) {
    const label = point.enum[String(c)];
    if (label !== undefined) return label;
  }
  return c;
}

function asModelValue(v: Value, point: string): ModelValue {
  if (v === null) throw new ModelEvalError(`${point} has no value`);
  return v;
}

class Snapshot {
  private readonly vals = new Map<string, Value>();
  private readonly errs = new Map<string, Error>();
  private readonly busy = new Set<string>();
  constructor(
    private readonly eng: ModelEngine,
    readonly t: number,
    readonly mode: EvalMode,
  ) {}

  get(name: string): Value {
    const v = this.vals.get(name);
    if (v !== undefined || this.vals.has(name)) return v as Value;
    const e = this.errs.get(name);
    if (e) throw e;
    if (this.busy.has(name)) throw new ModelEvalError(`${name} depends on itself`);
    this.busy.add(name);
    try {
      const out = this.compute(name);
      this.vals.set(name, out);
      return out;
    } catch (err) {
      const e2 = err instanceof Error ? err : new Error(String(err));
      this.errs.set(name, e2);
      throw e2;
    } finally {
      this.busy.delete(name);
    }
  }

  scope(owner: string): EvalScope {
    return {
      ref: (n) => {
        if (this.eng.points.has(n)) return asModelValue(this.get(n), n);
        const p = this.eng.model?.params[n];
        if (p !== undefined) return p;
        if (n === 'self') return asModelValue(this.eng.ownSignal(owner, this.t), owner);
        if (n === 'initial') return asModelValue(this.eng.ownSignal(owner, this.eng.origin), owner);
        if (n === 'pi') return Math.PI;
        throw new ModelEvalError(`unknown name ${n}`);
      },
      stateful: (call) => this.eng.seriesValue(call, this.t),
    };
  }

  private compute(name: string): Value {
    const point = this.eng.points.get(name) as Point;
    const rel = this.eng.relationInForce(name, this.t);
    let v: SignalValue = rel ? evalRelation(rel.expr, this.scope(name)) : this.eng.signalAt(name, this.t);
    if (this.mode !== 'clean') {
      const f = this.eng.faults.valueFaults(name, this.t, this.mode === 'served');
      if (f.stuck) {
        const frozen = f.stuck.spec.value ?? this.eng.valueOf(name, f.stuck.start, 'clean');
        v = frozen === null ? v : frozen;
      }
      if (f.spike && typeof v === 'number') v += f.spike.spec.magnitude ?? 10 * Math.max(1, Math.abs(v));
    }
    return normalise(point, v);
  }
}

export class ModelEngine {
  readonly points: ReadonlyMap<string, Point>;
  readonly model: CompiledModel | undefined;
  readonly origin: number;
  readonly faults: FaultState;
  private readonly signalOf: (point: string, t: number) => SignalValue;
  private readonly overriddenAt: (point: string, t: number) => boolean;
  private readonly series = new Map<CallExpr, Series>();
  private readonly stepMs: number;
  private version = 0;
  private cache: { t: number; mode: EvalMode; version: number; snap: Snapshot } | undefined;
  private cacheServed: { t: number; version: number; snap: Snapshot } | undefined;
  private readonly grid: { t: number; version: number; snap: Snapshot }[] = [];
  private advancing = false;

  constructor(opts: EngineOptions) {
    this.points = new Map(opts.points.map((p) => [p.name, p]));
    this.model = opts.model;
    this.origin = opts.origin;
    this.faults = opts.faults;
    this.signalOf = opts.signalAt;
    this.overriddenAt = opts.overridden ?? (() => false);
    this.stepMs = opts.model?.stepMs ?? 1000;
    for (const rel of opts.model?.relations.values() ?? []) {
      if (!rel.stateful) continue;
      const walk = (e: CallExpr['args'][number]): void => {
        if (e.k === 'call') {
          if (e.fn === 'integral' || e.fn === 'follow') {
            this.series.set(e, {
              call: e,
              owner: rel.point,
              k: 0,
              v: 0,
              inited: false,
              checkpoints: new Map(),
              recent: new Map(),
            });
          }
          e.args.forEach(walk);
        } else if (e.k === 'neg' || e.k === 'not') walk(e.a);
        else if (e.k === 'bin') {
          walk(e.a);
          walk(e.b);
        } else if (e.k === 'cond') {
          walk(e.c);
          walk(e.a);
          walk(e.b);
        }
      };
      walk(rel.expr);
    }
    this.faults.onChange((from) => this.changed(from));
  }

  signalAt(point: string, t: number): SignalValue {
    return this.signalOf(point, t);
  }

  /** A point's own signal at t, normalised (for `self` and `initial`). */
  ownSignal(point: string, t: number): Value {
    return normalise(this.points.get(point) as Point, this.signalOf(point, t));
  }

  /**
   * The relation computing a point at t: none for an input point, nor for a derived point
   * whose signal in force was given explicitly, unless its relation reads that signal (self,
   * initial).
   */
  relationInForce(point: string, t: number): CompiledRelation | undefined {
    const rel = this.model?.relations.get(point);
    if (!rel || rel.usesOwnSignal || !this.overriddenAt(point, t)) return rel;
    return undefined;
  }

  /**
   * The value of a point at t. Throws (ModelEvalError or a signal's error) when its relation
   * cannot be computed (e.g. a division by zero): the caller serves that as bad quality.
   */
  valueOf(point: string, t: number, mode: EvalMode): Value {
    return this.snapshot(t, mode).get(point);
  }

  /** All values of one instant come from one snapshot (kept until t, the mode or the history changes). */
  snapshot(t: number, mode: EvalMode): Snapshot {
    if (mode === 'served') {
      const c = this.cacheServed;
      if (c && c.t === t && c.version === this.version) return c.snap;
      const snap = new Snapshot(this, t, mode);
      this.cacheServed = { t, version: this.version, snap };
      return snap;
    }
    const c = this.cache;
    if (c && c.t === t && c.mode === mode && c.version === this.version) return c.snap;
    const snap = new Snapshot(this, t, mode);
    this.cache = { t, mode, version: this.version, snap };
    return snap;
  }

  /**
   * The history changed from `from` on (a write, a new signal, a fault added or removed):
   * snapshots are recomputed and stateful series rewind to a step before `from`.
   */
  changed(from: number): void {
    this.version++;
    const kValid = Math.ceil((from - this.origin) / this.stepMs) - 1;
    for (const s of this.series.values()) this.rewind(s, kValid);
  }

  /** Keeps a series' steps up to kValid: back to the last checkpoint at or before it. */
  private rewind(s: Series, kValid: number): void {
    if (!s.inited || s.k <= kValid) return;
    const near = s.recent.get(kValid);
    if (near !== undefined) {
      for (const k of [...s.recent.keys()]) if (k > kValid) s.recent.delete(k);
      for (const k of [...s.checkpoints.keys()]) if (k > kValid) s.checkpoints.delete(k);
      s.k = kValid;
      s.v = near;
      return;
    }
    let best = -1;
    for (const k of [...s.checkpoints.keys()]) {
      if (k > kValid) s.checkpoints.delete(k);
      else if (k > best) best = k;
    }
    s.recent.clear();
    if (best < 0) s.inited = false;
    else {
      s.k = best;
      s.v = s.checkpoints.get(best) as number;
      s.recent.set(best, s.v);
    }
  }

  /**
   * Value of a stateful call at t: its series at grid step floor((t − origin) / stepMs). All
   * series advance together, step by step, sharing one physical snapshot per grid time.
   */
  seriesValue(call: CallExpr, t: number): number {
    const s = this.series.get(call);
    if (!s) throw new ModelEvalError(`${call.fn}() is not part of the model`);
    const k = Math.max(0, Math.floor((t - this.origin) / this.stepMs));
    if (s.inited && k < s.k) {
      const near = s.recent.get(k);
      if (near !== undefined) return near;
      if (this.advancing) throw new ModelEvalError(`${call.fn}() asked ${s.k - k} steps back while stepping`);
      this.rewind(s, k); // the clock went back (a test's ManualClock)
    }
    if (!s.inited) this.init(s);
    if (s.k >= k) return s.v;
    if (this.advancing) {
      // asked from inside another series' step: this one alone (the outer loop skips it then)
      while (s.k < k) this.step(s);
      return s.v;
    }
    this.advancing = true;
    try {
      // all series at one step first (a series ahead would be asked for values behind it)
      let from = s.k;
      for (;;) {
        for (const o of this.series.values()) {
          if (!o.inited) this.init(o);
          if (o.k < from) from = o.k;
        }
        let moved = false;
        for (const o of this.series.values()) {
          if (o.k > from) {
            this.rewind(o, from);
            moved = true;
          }
        }
        if (!moved) break;
      }
      for (let kk = from + 1; kk <= k; kk++) {
        for (const o of this.series.values()) if (o.k === kk - 1) this.step(o);
      }
    } finally {
      this.advancing = false;
    }
    return s.v;
  }

  private init(s: Series): void {
    s.k = 0;
    s.v = s.call.fn === 'integral' ? 0 : this.arg(s, 0, this.origin);
    s.inited = true;
    s.checkpoints.clear();
    s.checkpoints.set(0, s.v);
    s.recent.clear();
    s.recent.set(0, s.v);
  }

  /** One grid step: integral holds x at the step's start, follow moves towards x at its end. */
  private step(s: Series): void {
    const dt = this.stepMs / 1000;
    const tPrev = this.origin + s.k * this.stepMs;
    const tNext = tPrev + this.stepMs;
    if (s.call.fn === 'integral') {
      s.v += this.arg(s, 0, tPrev) * dt;
    } else {
      const target = this.arg(s, 0, tNext);
      const most = Math.abs(this.arg(s, 1, tNext)) * dt;
      s.v += Math.min(most, Math.max(-most, target - s.v));
    }
    s.k++;
    if (s.k % CHECKPOINT_EVERY === 0) s.checkpoints.set(s.k, s.v);
    s.recent.set(s.k, s.v);
    s.recent.delete(s.k - RECENT);
  }

  /** Physical snapshots at grid times, a few kept (the steps of all series share them). */
  private physical(t: number): Snapshot {
    const hit = this.grid.find((g) => g.t === t && g.version === this.version);
    if (hit) return hit.snap;
    const snap = new Snapshot(this, t, 'physical');
    this.grid.push({ t, version: this.version, snap });
    if (this.grid.length > 4) this.grid.shift();
    return snap;
  }

  private arg(s: Series, i: number, t: number): number {
    const snap = this.physical(t);
    return toNumber(evalExpr(s.call.args[i] as CallExpr['args'][number], snap.scope(s.owner)));
  }
}
