/**
 * One simulated device: a profile, a signal history per point, the profile's relations
 * (derived points computed from the others, src/model/engine.ts), its faults, the writes it
 * received, and its ground truth (the value last served per point and how many samples of it
 * were served). Protocol front-ends read it through SimPointSource (by point name) or
 * ModbusUnit (by address), and write through ModbusUnit or writePoint (OPC UA).
 */
import {
  type CompiledModel,
  compileModel,
  type DeviceModel,
  isModbusPoint,
  type ModbusTable,
  type Point,
  type Profile,
  type Value,
} from '@ganzhi/device-profiles';
import type { Clock } from '@ganzhi/runtime';
import { simError } from '../errors.js';
import { FaultState } from '../faults/fault-state.js';
import type { FaultSpec } from '../faults/spec.js';
import { EXCEPTION, type ModbusUnit, type WriteContext } from '../modbus/pdu.js';
import { type EvalMode, ModelEngine } from '../model/engine.js';
import { deriveSeed } from '../signals/prng.js';
import { createSignal, type Signal, type SignalValue } from '../signals/signal.js';
import type { SignalSpec } from '../signals/spec.js';
import { encodeModbusValue, registerCount, setBit, toEngineering } from './codec.js';
import { defaultSignal } from './defaults.js';
import { invalidValue, planModbusWrite } from './modbus-write.js';
import { quantise } from './quantise.js';
import { buildRegisterMap, type RegisterMap, rejects } from './register-map.js';
import type { NodeWrite, NodeWriteResult, PointSample, SampleStatus, SimPointSource } from './source.js';
import { WriteLog, type WriteRecord, type WrittenPoint } from './write-log.js';

export interface DeviceOptions {
  id: string;
  profile: Profile;
  clock: Clock;
  /** default 1 */
  seed?: number;
  /** time signals and scheduled faults count from; default clock.now() */
  origin?: number;
  unitId?: number;
  /** per point name; points not named get their profile default */
  signals?: Record<string, SignalSpec>;
  faults?: FaultSpec[];
  /** every unmapped address is exception 02 (default: only outside the mapped span) */
  strictAddresses?: boolean;
  /** directory replay CSV files are relative to */
  baseDir?: string;
  /**
   * this instance's changes to the profile's `relations`: params replace the profile's of the
   * same name, `derived` adds or replaces relations per point, `checks` are added, `stepMs` wins
   */
  relations?: DeviceModel;
}

export interface PointTruth {
  /** value at the time asked, without faults */
  value: Value;
  unit: string;
  /** the point's current signal; a derived point's signal is only read through self/initial */
  signal: SignalSpec;
  /** the relation computing the point, when it is derived */
  relation?: string;
  /** samples served so far (Modbus: reads that covered the whole point; OPC-UA/serial: samples) */
  served: number;
  /** what was served last, as a correct reader decodes it */
  last?: { value: Value; ts: number; status: SampleStatus };
}

/** One sample served (see SimDevice.recordServed). */
export interface ServedSample {
  point: string;
  value: Value;
  ts: number;
  status: SampleStatus;
}

interface Segment {
  from: number;
  spec: SignalSpec;
  signal: Signal;
  /** given by the scenario, the control API or a write (not a profile default) */
  explicit: boolean;
}

interface PointState {
  point: Point;
  /** the signal history: each segment applies from its `from` on (the first one always) */
  segments: Segment[];
  served: number;
  last?: { value: Value; ts: number; status: SampleStatus };
}

interface Produced {
  value: Value;
  /** Modbus points: the registers (0/1 for bit tables) */
  words?: number[];
  status: SampleStatus;
  ts: number;
}

/** The profile's relations with an instance's changes on top (see DeviceOptions.relations). */
export function mergeRelations(
  base: DeviceModel | undefined,
  over: DeviceModel | undefined,
): DeviceModel | undefined {
  if (!over) return base;
  const stepMs = over.stepMs ?? base?.stepMs;
  return {
    ...(stepMs !== undefined ? { stepMs } : {}),
    params: { ...base?.params, ...over.params },
    derived: { ...base?.derived, ...over.derived },
    checks: [...(base?.checks ?? []), ...(over.checks ?? [])],
  };
}

export class SimDevice implements SimPointSource, ModbusUnit {
  readonly id: string;
  readonly profile: Profile;
  readonly unitId: number | undefined;
  readonly seed: number;
  readonly origin: number;
  readonly faults: FaultState;
  readonly model: CompiledModel | undefined;
  readonly writes = new WriteLog();
  private readonly clock: Clock;
  private readonly points = new Map<string, PointState>();
  private readonly map: RegisterMap;
  private readonly strict: boolean;
  private readonly baseDir: string | undefined;
  private readonly engine: ModelEngine;

  constructor(opts: DeviceOptions) {
    this.id = opts.id;
    this.profile = opts.profile;
    this.unitId = opts.unitId;
    this.clock = opts.clock;
    this.seed = opts.seed ?? 1;
    this.origin = opts.origin ?? opts.clock.now();
    this.strict = opts.strictAddresses ?? false;
    this.baseDir = opts.baseDir;
    this.faults = new FaultState(deriveSeed(this.seed, `${this.id}:faults`), this.origin, () =>
      this.clock.now(),
    );
    for (const name of Object.keys(opts.signals ?? {})) {
      if (!this.profile.points.some((p) => p.name === name)) {
        throw simError(
          'GZ_SIM_POINT',
          `device ${this.id}: signal for unknown point "${name}" of ${this.profile.id}`,
        );
      }
    }
    const compiled = compileModel(
      mergeRelations(this.profile.relations, opts.relations),
      this.profile.points.map((p) => p.name),
    );
    if (!compiled.model) {
      throw simError(
        'GZ_SIM_MODEL',
        `device ${this.id} (${this.profile.id}): ${compiled.findings.map((f) => `${f.path.join('.')}: ${f.message}`).join('; ')}`,
      );
    }
    this.model = compiled.model.relations.size > 0 ? compiled.model : undefined;
    for (const p of this.profile.points) {
      const given = opts.signals?.[p.name];
      const spec = given ?? defaultSignal(p, deriveSeed(this.seed, this.id));
      const first = this.segment(p, spec, this.origin, given !== undefined, -Infinity);
      this.points.set(p.name, { point: p, segments: [first], served: 0 });
    }
    this.map = buildRegisterMap(this.profile);
    this.engine = new ModelEngine({
      points: this.profile.points,
      model: this.model,
      origin: this.origin,
      faults: this.faults,
      signalAt: (name, t) => this.signalAt(name, t),
      overridden: (name, t) => this.segmentAt(name, t).explicit,
    });
    for (const f of opts.faults ?? []) this.faults.add(f);
  }

  private segment(point: Point, spec: SignalSpec, origin: number, explicit: boolean, from = origin): Segment {
    const signal = createSignal(spec, {
      seed: deriveSeed(this.seed, `${this.id}/${point.name}`),
      origin,
      ...(this.baseDir ? { baseDir: this.baseDir } : {}),
    });
    return { from, spec, signal, explicit };
  }

  private state(name: string): PointState {
    const ps = this.points.get(name);
    if (!ps) throw simError('GZ_SIM_POINT', `device ${this.id} has no point "${name}"`);
    return ps;
  }

  /** The segment of a point's signal history in force at t. */
  private segmentAt(name: string, t: number): Segment {
    const segs = this.state(name).segments;
    for (let i = segs.length - 1; i > 0; i--) {
      const s = segs[i] as Segment;
      if (s.from <= t) return s;
    }
    return segs[0] as Segment;
  }

  private signalAt(name: string, t: number): SignalValue {
    return this.segmentAt(name, t).signal.at(t);
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * The relation that computes a point now, or undefined for an input point — and for a derived
   * point given a signal of its own (see setSignal).
   */
  relationOf(name: string, t = this.clock.now()): string | undefined {
    return this.engine.relationInForce(name, t)?.source;
  }

  /**
   * Replaces a point's signal from `origin` on (default now; control API, writes); the past
   * keeps the signals it had, counts and faults stay. The new signal starts at `origin`: a
   * counter set to start at 1000 reads 1000 at once. A derived point whose relation reads
   * `self`/`initial` takes the signal as that input; any other derived point given a signal
   * (here or in the scenario) follows the signal instead of its relation from then on, and the
   * points computed from it follow it.
   */
  setSignal(name: string, spec: SignalSpec, origin = this.clock.now()): void {
    const ps = this.state(name);
    const next = this.segment(ps.point, spec, origin, true);
    ps.segments = [...ps.segments.filter((s, i) => i === 0 || s.from < origin), next];
    this.engine.changed(origin);
  }

  /** Value of a point at `now` without faults (derived points computed). */
  valueAt(name: string, now: number): Value {
    return this.produce(this.state(name), now, 'clean').value;
  }

  truth(now = this.clock.now()): Record<string, PointTruth> {
    const out: Record<string, PointTruth> = {};
    for (const [name, ps] of this.points) {
      const rel = this.relationOf(name, now);
      out[name] = {
        value: this.produce(ps, now, 'clean').value,
        unit: ps.point.unit,
        signal: (ps.segments[ps.segments.length - 1] as Segment).spec,
        ...(rel ? { relation: rel } : {}),
        served: ps.served,
        ...(ps.last ? { last: ps.last } : {}),
      };
    }
    return out;
  }

  /** Total samples served over all points. */
  servedTotal(): number {
    let n = 0;
    for (const ps of this.points.values()) n += ps.served;
    return n;
  }

  private produce(ps: PointState, now: number, mode: EvalMode): Produced {
    let status: SampleStatus = 'good';
    let ts = now;
    try {
      const v = this.engine.valueOf(ps.point.name, now, mode);
      if (mode === 'served') {
        const f = this.faults.sampleFaults(ps.point.name, now);
        if (f.status) status = f.status;
        ts += f.skewMs;
      }
      if (isModbusPoint(ps.point)) {
        const e = encodeModbusValue(ps.point, v, this.profile.modbus?.defaultOrder);
        return { value: e.value, words: e.words, status, ts };
      }
      return { value: quantise(ps.point, v), status, ts };
    } catch {
      // a value the point cannot carry (text for an integer) or a relation that cannot be
      // computed (a division by zero): served as zeros / no value with bad status, never an
      // exception in a front-end
      const words = isModbusPoint(ps.point)
        ? new Array<number>(registerCount(ps.point.modbus)).fill(0)
        : undefined;
      return { value: null, ...(words ? { words } : {}), status: 'bad', ts };
    }
  }

  private serve(ps: PointState, now: number): Produced {
    const p = this.produce(ps, now, 'served');
    ps.served++;
    ps.last = { value: p.value, ts: p.ts, status: p.status };
    if (this.servedLog) {
      this.servedLog.push({ point: ps.point.name, value: p.value, ts: p.ts, status: p.status });
      if (this.servedLog.length > this.servedLogMax)
        this.servedLog.splice(0, this.servedLog.length - this.servedLogMax);
    }
    return p;
  }

  private servedLog: ServedSample[] | undefined;
  private servedLogMax = 100_000;

  /**
   * Starts (or returns) a log of every sample served from now on, oldest first, at most `max`:
   * the ground truth an end-to-end test compares stored readings with, sample by sample.
   */
  recordServed(max = 100_000): readonly ServedSample[] {
    this.servedLogMax = max;
    this.servedLog ??= [];
    return this.servedLog;
  }

  // SimPointSource
  sample(point: string, now: number): PointSample | undefined {
    const ps = this.points.get(point);
    if (!ps) return undefined;
    const p = this.serve(ps, now);
    return { value: p.value, status: p.status, sourceTs: p.ts };
  }

  // ModbusUnit
  readBits(table: 'coil' | 'discrete', address: number, count: number): boolean[] | number {
    if (rejects(this.profile, this.map, table, address, count, this.strict))
      return EXCEPTION.illegalDataAddress;
    const now = this.clock.now();
    const bits = new Array<boolean>(count).fill(false);
    for (const e of this.map[table].entries) {
      if (e.address < address || e.address >= address + count) continue;
      const p = this.serve(this.points.get(e.point.name) as PointState, now);
      bits[e.address - address] = p.words?.[0] === 1;
    }
    return bits;
  }

  readRegisters(table: 'holding' | 'input', address: number, count: number): number[] | number {
    if (rejects(this.profile, this.map, table, address, count, this.strict))
      return EXCEPTION.illegalDataAddress;
    const now = this.clock.now();
    const words = new Array<number>(count).fill(0);
    const end = address + count;
    for (const e of this.map[table].entries) {
      if (e.address + e.count <= address || e.address >= end) continue;
      const ps = this.points.get(e.point.name) as PointState;
      const whole = e.address >= address && e.address + e.count <= end;
      const p = whole ? this.serve(ps, now) : this.produce(ps, now, 'served');
      const b = e.point.modbus;
      if (b.type === 'bit') {
        const i = e.address - address;
        words[i] = setBit(words[i] as number, b.bit ?? 0, p.value === true);
        continue;
      }
      const enc = p.words ?? [];
      for (let k = 0; k < e.count; k++) {
        const a = e.address + k;
        if (a >= address && a < end) words[a - address] = enc[k] as number;
      }
    }
    return words;
  }

  writeBits(address: number, values: boolean[], ctx?: WriteContext): number | undefined {
    return this.writeModbus(
      'coil',
      address,
      values.map((v) => (v ? 1 : 0)),
      ctx,
    );
  }

  writeRegisters(address: number, values: number[], ctx?: WriteContext): number | undefined {
    return this.writeModbus('holding', address, values, ctx);
  }

  /**
   * A Modbus write: all or nothing (modbus-write.ts says which exception when not), logged
   * either way. Each point written then holds the written value (a constant signal from now),
   * and every point derived from it follows through the relations.
   */
  private writeModbus(
    table: Extract<ModbusTable, 'coil' | 'holding'>,
    address: number,
    values: number[],
    ctx?: WriteContext,
  ): number | undefined {
    const plan = planModbusWrite(this.profile, this.map, table, address, values, this.strict);
    const now = this.clock.now();
    const fn = ctx?.fc ?? (table === 'coil' ? (values.length === 1 ? 5 : 15) : values.length === 1 ? 6 : 16);
    this.writes.add({
      ts: now,
      protocol: 'modbus',
      unit: ctx?.unit ?? this.unitId ?? 1,
      function: fn,
      table,
      address,
      ...(table === 'coil' ? { bits: values.map((v) => v === 1) } : { words: [...values] }),
      points: plan.points,
      ...(plan.ok
        ? { outcome: 'ok' as const }
        : { outcome: 'refused' as const, exception: plan.exception, reason: plan.reason }),
    });
    if (!plan.ok) return plan.exception;
    this.apply(plan.points);
    return undefined;
  }

  /** Sets each written point to its value from now on (a constant signal). */
  apply(points: readonly WrittenPoint[]): void {
    for (const w of points) {
      this.setSignal(w.point, { kind: 'constant', value: w.value === null ? 0 : w.value });
    }
  }

  /**
   * An OPC UA write of a point (raw value in the node's data type, already type-checked by the
   * server): a read-only point is BadNotWritable, a value outside the point's range or enum
   * BadOutOfRange (OPC UA Part 4, Write service operation results); else the point holds it.
   * Every attempt is logged, also those the server refused before (`w.refused`).
   */
  write(point: string, w: NodeWrite): NodeWriteResult {
    const ps = this.points.get(point);
    const base = { protocol: 'opcua' as const, nodeId: w.nodeId, dataType: w.dataType, raw: w.raw };
    const refuse = (status: string, reason: string, points: WrittenPoint[] = []): NodeWriteResult => {
      this.logWrite({ ...base, points, outcome: 'refused', status, reason });
      return { status, reason };
    };
    if (w.refused) return refuse(w.refused.status, w.refused.reason);
    if (!ps) return refuse('BadNodeIdUnknown', `no point for ${w.nodeId}`);
    if ((ps.point.access ?? 'read') !== 'read-write')
      return refuse('BadNotWritable', `${point} is read-only`);
    let value: Value;
    try {
      value = toEngineering(ps.point, w.raw as Parameters<typeof toEngineering>[1]);
    } catch (err) {
      return refuse('BadTypeMismatch', `${point}: ${(err as Error).message}`);
    }
    const bad = invalidValue(ps.point, value);
    if (bad) return refuse('BadOutOfRange', `${point}: ${bad}`, [{ point, value }]);
    this.logWrite({ ...base, points: [{ point, value }], outcome: 'ok', status: 'Good' });
    this.apply([{ point, value }]);
    return { status: 'Good' };
  }

  /** Records a write that arrived by another protocol (OPC UA). */
  logWrite(r: Omit<WriteRecord, 'seq' | 'ts'>): WriteRecord {
    return this.writes.add({ ts: this.clock.now(), ...r });
  }
}
