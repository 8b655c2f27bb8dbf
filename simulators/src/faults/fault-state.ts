/**
 * The faults of one device, scheduled and run-time, and the decisions the front-ends ask
 * for: what to do with a Modbus frame, a value, a serial line. Probabilities draw from a
 * seeded generator, so a run with the same seed and the same request order repeats.
 */
import { seededRandom } from '@ganzhi/runtime';
import { deriveSeed } from '../signals/prng.js';
import type { FaultKind, FaultSpec } from './spec.js';

export interface ActiveFault {
  id: string;
  spec: FaultSpec;
  start: number;
  end: number;
  /** times this fault changed an answer */
  hits: number;
  rng: () => number;
}

export type FrameAction = 'timeout' | 'exception' | 'bad-crc' | 'garbled' | 'truncated' | 'drop' | 'refuse';

export interface FrameDecision {
  delayMs: number;
  action?: FrameAction;
  code?: number;
}

const FRAME_ORDER: FrameAction[] = [
  'refuse',
  'drop',
  'timeout',
  'exception',
  'bad-crc',
  'garbled',
  'truncated',
];

export interface ValueFaults {
  stuck?: ActiveFault;
  spike?: ActiveFault;
}

export class FaultState {
  private readonly faults: ActiveFault[] = [];
  /** faults removed while or after they were active, kept with their end cut to the removal time */
  private readonly retired: ActiveFault[] = [];
  private nextId = 1;
  private readonly listeners: ((from: number) => void)[] = [];

  constructor(
    private readonly seed: number,
    /** scenario start: `after` of scheduled faults counts from here */
    private readonly origin: number,
    /** the device clock; removals keep a fault's past (its end becomes the removal time) */
    private readonly now: () => number = () => Number.POSITIVE_INFINITY,
  ) {}

  /** `fn(from)` runs after every change; from = the earliest time whose values may differ. */
  onChange(fn: (from: number) => void): void {
    this.listeners.push(fn);
  }

  private changed(from: number): void {
    for (const fn of this.listeners) fn(from);
  }

  /** Adds a fault; `relativeTo` is where `after` counts from (origin for scheduled, now for run-time). */
  add(spec: FaultSpec, relativeTo = this.origin): ActiveFault {
    const id = spec.id ?? `f${this.nextId++}`;
    this.remove(id);
    let start = relativeTo;
    if (spec.at !== undefined) start = typeof spec.at === 'number' ? spec.at : Date.parse(spec.at);
    if (spec.after !== undefined) start += spec.after;
    const end = spec.for === undefined ? Number.POSITIVE_INFINITY : start + spec.for;
    const f: ActiveFault = {
      id,
      spec,
      start,
      end,
      hits: 0,
      rng: seededRandom(deriveSeed(this.seed, `fault:${id}`)),
    };
    this.faults.push(f);
    this.changed(start);
    return f;
  }

  remove(id: string): boolean {
    const i = this.faults.findIndex((f) => f.id === id);
    if (i < 0) return false;
    const [f] = this.faults.splice(i, 1) as [ActiveFault];
    this.retire(f);
    return true;
  }

  clear(): void {
    for (const f of this.faults.splice(0)) this.retire(f);
  }

  private retire(f: ActiveFault): void {
    const now = this.now();
    if (f.start < now && Number.isFinite(now)) {
      this.retired.push({ ...f, end: Math.min(f.end, now) });
      this.changed(now);
    } else {
      this.changed(f.start);
    }
  }

  list(): readonly ActiveFault[] {
    return this.faults;
  }

  /**
   * stuck and spike faults of a point at `t`, also those removed since (they shaped the past).
   * `draw`: a served sample (faults with a probability draw, hits are counted); otherwise only
   * faults certain to apply (probability 1) count, without side effects — the device's history.
   */
  valueFaults(point: string, t: number, draw: boolean): ValueFaults {
    if (this.faults.length === 0 && this.retired.length === 0) return {};
    const out: ValueFaults = {};
    for (const list of [this.faults, this.retired]) {
      for (const f of list) {
        const k = f.spec.kind;
        if ((k !== 'stuck' && k !== 'spike') || out[k] || t < f.start || t >= f.end) continue;
        if (f.spec.points && !f.spec.points.includes(point)) continue;
        const p = f.spec.probability ?? 1;
        if (p < 1 && (!draw || f.rng() >= p)) continue;
        if (draw) f.hits++;
        out[k] = f;
      }
    }
    return out;
  }

  /** Per-sample faults of a served point at `now`: status (OPC-UA) and clock skew. */
  sampleFaults(point: string, now: number): { status?: 'bad' | 'uncertain'; skewMs: number } {
    if (this.faults.length === 0) return { skewMs: 0 };
    const st = this.firing('status', now, point);
    const skew = this.firing('clock-skew', now);
    for (const f of [st, skew]) if (f) f.hits++;
    return { ...(st ? { status: st.spec.status ?? 'bad' } : {}), skewMs: skew?.spec.ms ?? 0 };
  }

  /** Active faults of a kind at `now` that also win their probability draw. */
  private firing(kind: FaultKind, now: number, point?: string): ActiveFault | undefined {
    for (const f of this.faults) {
      if (f.spec.kind !== kind || now < f.start || now >= f.end) continue;
      if (point !== undefined && f.spec.points && !f.spec.points.includes(point)) continue;
      const p = f.spec.probability ?? 1;
      if (p < 1 && f.rng() >= p) continue;
      return f;
    }
    return undefined;
  }

  isActive(kind: FaultKind, now: number): boolean {
    return this.faults.some((f) => f.spec.kind === kind && now >= f.start && now < f.end);
  }

  /** What a Modbus front-end does with the next request to this device. */
  frame(now: number): FrameDecision {
    if (this.faults.length === 0) return { delayMs: 0 };
    let delayMs = 0;
    for (const f of this.faults) {
      if (f.spec.kind !== 'latency' || now < f.start || now >= f.end) continue;
      const p = f.spec.probability ?? 1;
      if (p < 1 && f.rng() >= p) continue;
      f.hits++;
      delayMs += (f.spec.ms ?? 0) + (f.spec.jitterMs ? f.rng() * f.spec.jitterMs : 0);
    }
    for (const action of FRAME_ORDER) {
      const f = this.firing(action, now);
      if (f) {
        f.hits++;
        return action === 'exception' ? { delayMs, action, code: f.spec.code ?? 4 } : { delayMs, action };
      }
    }
    return { delayMs };
  }

  /** Value faults for one point at `now`. */
  value(
    point: string,
    now: number,
  ): { stuck?: ActiveFault; spike?: ActiveFault; status?: 'bad' | 'uncertain'; skewMs: number } {
    if (this.faults.length === 0) return { skewMs: 0 };
    const stuck = this.firing('stuck', now, point);
    const spike = this.firing('spike', now, point);
    const st = this.firing('status', now, point);
    const skew = this.firing('clock-skew', now);
    for (const f of [stuck, spike, st, skew]) if (f) f.hits++;
    return {
      ...(stuck ? { stuck } : {}),
      ...(spike ? { spike } : {}),
      ...(st ? { status: st.spec.status ?? 'bad' } : {}),
      skewMs: skew?.spec.ms ?? 0,
    };
  }

  /** Serial line faults for the next frame. */
  line(now: number): { garbage: boolean; partial: boolean; badChecksum: boolean; timeout: boolean } {
    if (this.faults.length === 0)
      return { garbage: false, partial: false, badChecksum: false, timeout: false };
    const hit = (k: FaultKind) => {
      const f = this.firing(k, now);
      if (f) f.hits++;
      return f !== undefined;
    };
    return {
      garbage: hit('garbage'),
      partial: hit('partial-line'),
      badChecksum: hit('bad-checksum'),
      timeout: hit('timeout'),
    };
  }
}
