/**
 * One simulated device: a profile, a signal per point, its faults and its ground truth
 * (the value last served per point and how many samples of it were served). Protocol
 * front-ends read it through SimPointSource (by point name) or ModbusUnit (by address).
 */
import {
  isModbusPoint,
  type ModbusTable,
  type Point,
  type Profile,
  type Value,
} from '@ganzhi/device-profiles';
import { simError } from '../errors.js';
import { FaultState } from '../faults/fault-state.js';
import type { FaultSpec } from '../faults/spec.js';
import { EXCEPTION, type ModbusUnit } from '../modbus/pdu.js';
import { deriveSeed } from '../signals/prng.js';
import { createSignal, type Signal, type SignalValue } from '../signals/signal.js';
import type { SignalSpec } from '../signals/spec.js';
import type { Clock } from '@ganzhi/runtime';
import { decodeRaw, encodeModbusValue, registerCount, setBit, toEngineering } from './codec.js';
import { defaultSignal } from './defaults.js';
import { coerce, quantise } from './quantise.js';
import { buildRegisterMap, type RegisterMap, rejects } from './register-map.js';
import type { PointSample, SampleStatus, SimPointSource } from './source.js';

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
}

export interface PointTruth {
  /** quantised signal value at the time asked (no faults) */
  value: Value;
  unit: string;
  signal: SignalSpec;
  /** samples served so far (Modbus: reads that covered the whole point; OPC-UA/serial: samples) */
  served: number;
  /** what was served last, as a correct reader decodes it */
  last?: { value: Value; ts: number; status: SampleStatus };
}

interface PointState {
  point: Point;
  spec: SignalSpec;
  signal: Signal;
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

export class SimDevice implements SimPointSource, ModbusUnit {
  readonly id: string;
  readonly profile: Profile;
  readonly unitId: number | undefined;
  readonly seed: number;
  readonly origin: number;
  readonly faults: FaultState;
  private readonly clock: Clock;
  private readonly points = new Map<string, PointState>();
  private readonly map: RegisterMap;
  private readonly strict: boolean;
  private readonly baseDir: string | undefined;

  constructor(opts: DeviceOptions) {
    this.id = opts.id;
    this.profile = opts.profile;
    this.unitId = opts.unitId;
    this.clock = opts.clock;
    this.seed = opts.seed ?? 1;
    this.origin = opts.origin ?? opts.clock.now();
    this.strict = opts.strictAddresses ?? false;
    this.baseDir = opts.baseDir;
    this.faults = new FaultState(deriveSeed(this.seed, `${this.id}:faults`), this.origin);
    for (const name of Object.keys(opts.signals ?? {})) {
      if (!this.profile.points.some((p) => p.name === name)) {
        throw simError(
          'GZ_SIM_POINT',
          `device ${this.id}: signal for unknown point "${name}" of ${this.profile.id}`,
        );
      }
    }
    for (const p of this.profile.points) {
      const spec = opts.signals?.[p.name] ?? defaultSignal(p, deriveSeed(this.seed, this.id));
      this.points.set(p.name, this.makeState(p, spec));
    }
    this.map = buildRegisterMap(this.profile);
    for (const f of opts.faults ?? []) this.faults.add(f);
  }

  private makeState(point: Point, spec: SignalSpec, origin = this.origin): PointState {
    const signal = createSignal(spec, {
      seed: deriveSeed(this.seed, `${this.id}/${point.name}`),
      origin,
      ...(this.baseDir ? { baseDir: this.baseDir } : {}),
    });
    return { point, spec, signal, served: 0 };
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Replaces a point's signal (control API, Modbus writes); counts and faults stay. The new
   * signal starts now (a counter set to start at 1000 reads 1000 at once), unless `origin`.
   */
  setSignal(name: string, spec: SignalSpec, origin = this.clock.now()): void {
    const ps = this.points.get(name);
    if (!ps) throw simError('GZ_SIM_POINT', `device ${this.id} has no point "${name}"`);
    const next = this.makeState(ps.point, spec, origin);
    ps.spec = next.spec;
    ps.signal = next.signal;
  }

  /** Quantised value of a point at `now` without faults (the signal's truth). */
  valueAt(name: string, now: number): Value {
    const ps = this.points.get(name);
    if (!ps) throw simError('GZ_SIM_POINT', `device ${this.id} has no point "${name}"`);
    return this.produce(ps, now, false).value;
  }

  truth(now = this.clock.now()): Record<string, PointTruth> {
    const out: Record<string, PointTruth> = {};
    for (const [name, ps] of this.points) {
      out[name] = {
        value: this.produce(ps, now, false).value,
        unit: ps.point.unit,
        signal: ps.spec,
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

  private produce(ps: PointState, now: number, withFaults: boolean): Produced {
    let v: SignalValue;
    let status: SampleStatus = 'good';
    let ts = now;
    if (withFaults) {
      const f = this.faults.value(ps.point.name, now);
      v = f.stuck ? (f.stuck.spec.value ?? ps.signal.at(f.stuck.start)) : ps.signal.at(now);
      if (f.spike && typeof v === 'number') v += f.spike.spec.magnitude ?? 10 * Math.max(1, Math.abs(v));
      if (f.status) status = f.status;
      ts += f.skewMs;
    } else {
      v = ps.signal.at(now);
    }
    const c = coerce(ps.point, v);
    try {
      if (isModbusPoint(ps.point)) {
        const e = encodeModbusValue(ps.point, c, this.profile.modbus?.defaultOrder);
        return { value: e.value, words: e.words, status, ts };
      }
      return { value: quantise(ps.point, c), status, ts };
    } catch {
      // a signal value the point cannot carry (e.g. text for an integer): served as zeros /
      // no value with bad status, never an exception in a front-end
      const words = isModbusPoint(ps.point)
        ? new Array<number>(registerCount(ps.point.modbus)).fill(0)
        : undefined;
      return { value: null, ...(words ? { words } : {}), status: 'bad', ts };
    }
  }

  private serve(ps: PointState, now: number): Produced {
    const p = this.produce(ps, now, true);
    ps.served++;
    ps.last = { value: p.value, ts: p.ts, status: p.status };
    return p;
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
      const p = this.serve(this.points.get(e.point.name)!, now);
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
      const ps = this.points.get(e.point.name)!;
      const whole = e.address >= address && e.address + e.count <= end;
      const p = whole ? this.serve(ps, now) : this.produce(ps, now, true);
      const b = e.point.modbus;
      if (b.type === 'bit') {
        const i = e.address - address;
        words[i] = setBit(words[i]!, b.bit ?? 0, p.value === true);
        continue;
      }
      const enc = p.words ?? [];
      for (let k = 0; k < e.count; k++) {
        const a = e.address + k;
        if (a >= address && a < end) words[a - address] = enc[k]!;
      }
    }
    return words;
  }

  writeBits(address: number, values: boolean[]): number | undefined {
    return this.write(
      'coil',
      address,
      values.map((v) => (v ? 1 : 0)),
    );
  }

  writeRegisters(address: number, values: number[]): number | undefined {
    return this.write('holding', address, values);
  }

  /** Writes must cover whole read-write points exactly; the point then holds the written value. */
  private write(table: ModbusTable, address: number, values: number[]): number | undefined {
    const end = address + values.length;
    const hits = this.map[table].entries.filter((e) => e.address >= address && e.address + e.count <= end);
    let covered = 0;
    for (const e of hits) {
      if ((e.point.access ?? 'read') !== 'read-write' || e.point.modbus.type === 'bit') {
        return EXCEPTION.illegalDataAddress;
      }
      covered += e.count;
    }
    if (covered !== values.length) return EXCEPTION.illegalDataAddress;
    for (const e of hits) {
      const words = values.slice(e.address - address, e.address - address + e.count);
      const raw = decodeRaw(e.point.modbus, words, this.profile.modbus?.defaultOrder);
      const v = toEngineering(e.point, raw);
      this.setSignal(e.point.name, { kind: 'constant', value: v === null ? 0 : v });
    }
    return undefined;
  }
}
