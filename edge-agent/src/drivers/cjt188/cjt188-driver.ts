/**
 * One CJ/T 188 water, heat or gas meter on a shared bus. Every cycle is one read-data request
 * (C = 01, DI 901F) whose reply carries every point: quantities with their unit codes
 * (converted to the point's unit), temperatures, working time, and the status byte (valve,
 * battery). Faults as on the DL/T 645 bus (see ../dlt645/dlt645-driver.ts): an abnormal reply
 * (C = C1) is an answer, "meter error (abnormal reply)", no backoff; silence, damaged replies
 * and a dead meter are isolated the same way (../slave-backoff.ts).
 */
import { type Cjt188Point, cjt188, isCjt188Point, toEngineering } from '@ganzhi/device-profiles';
import { DeviceStatusTracker } from '../device-status.js';
import {
  badReading,
  type Driver,
  type DriverContext,
  type DriverCounters,
  type DriverReading,
  type DriverStatus,
} from '../driver.js';
import type { BusResult, MeterBusLine } from '../meter-bus/bus-line.js';
import { failureReason, valueReading } from '../meter-bus/readings.js';
import { SlaveBackoffState } from '../slave-backoff.js';
import type { Cjt188DeviceSpec } from './options.js';

export interface Cjt188Counters extends DriverCounters {
  framesRefused: number;
  abnormal: number;
}

type Item = { ok: true; value: number | string | boolean } | { ok: false; reason: string };

/** A point's value out of a parsed reply, in the point's unit (before scale/offset). */
export function itemOf(point: Cjt188Point, r: cjt188.ReadDataReply): Item {
  const f = point.cjt188.field;
  if (f === 'valve') return { ok: true, value: r.status.valve };
  if (f === 'battery-low') return { ok: true, value: r.status.batteryLow };
  const key = f.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as keyof cjt188.ReadDataReply;
  const item = r[key];
  if (item === undefined) return { ok: false, reason: `bad frame: no ${f} in this meter's reply` };
  if (typeof item === 'number') return { ok: true, value: item };
  const q = item as cjt188.Quantity;
  const v = cjt188.convertQuantity(q, point.unit);
  return v === undefined
    ? { ok: false, reason: `unit: the meter sends ${q.unit}, which does not convert to ${point.unit}` }
    : { ok: true, value: v };
}

export class Cjt188Driver implements Driver {
  readonly device: string;
  private readonly points: Cjt188Point[];
  private readonly tracker: DeviceStatusTracker;
  private readonly backoff: SlaveBackoffState;
  private readonly extra = { framesRefused: 0, abnormal: 0 };
  private ser = 0;
  private closed = false;

  constructor(
    private readonly spec: Cjt188DeviceSpec,
    private readonly line: MeterBusLine<cjt188.Frame>,
    private readonly ctx: DriverContext,
    private readonly releaseLine: () => Promise<void>,
  ) {
    this.device = spec.id;
    this.points = spec.points.filter(isCjt188Point);
    this.tracker = new DeviceStatusTracker(ctx.clock.now());
    this.backoff = new SlaveBackoffState(spec.backoff, ctx.random, ctx.logger);
  }

  async connect(): Promise<void> {
    // the bus opens on the first transaction
  }

  status(): DriverStatus {
    const s = this.tracker.snapshot();
    return { ...s, counters: { ...s.counters, ...this.extra } as Cjt188Counters };
  }

  async read(): Promise<DriverReading[]> {
    if (this.closed) throw new Error('driver closed');
    const now = this.ctx.clock.now();
    this.tracker.counters.cycles++;
    if (this.backoff.skipping(now)) {
      this.tracker.counters.skipped++;
      return this.bad('backoff', now);
    }
    const attempts = this.backoff.attempts(this.spec.retries);
    let readings: DriverReading[] | undefined;
    let reason = 'timeout';
    for (let i = 0; i < attempts && !readings; i++) {
      this.tracker.counters.requests++;
      const r = await this.exchange();
      if (r.ok) {
        const d = this.decode(r.frame, r.ts);
        if (d.ok) {
          readings = d.readings;
          break;
        }
        // checksum-valid but unusable (length, unit code, BCD digit): retried like a damaged frame
        this.tracker.counters.errors++;
        this.extra.framesRefused++;
        this.tracker.lastError = d.detail;
        reason = d.reason;
        continue;
      }
      this.tracker.counters.errors++;
      if (r.kind === 'timeout') this.tracker.counters.timeouts++;
      if (r.kind === 'frame') this.extra.framesRefused++;
      reason = failureReason(r);
      this.tracker.lastError = r.kind === 'frame' ? r.reason : reason;
      if (r.kind !== 'frame') break;
    }
    const end = this.ctx.clock.now();
    const out = readings ?? this.bad(reason, end);
    const failed = out.filter((x) => x.quality === 'bad').length;
    if (!this.backoff.endCycle(readings !== undefined, end, this.tracker.lastError)) {
      this.tracker.setState('down', end);
    } else {
      this.tracker.setState(failed > 0 ? 'degraded' : 'up', end);
      if (failed === 0) this.tracker.lastError = undefined;
    }
    return out;
  }

  private exchange(): Promise<BusResult<cjt188.Frame>> {
    const { address, meterType, preamble } = this.spec;
    this.ser = (this.ser + 1) & 0xff;
    return this.line.transaction({
      bytes: cjt188.readDataRequest(meterType, address, this.ser, preamble),
      timeoutMs: this.spec.timeoutMs,
      isAnswer: (f) => f.control.reply && f.address === address,
    });
  }

  /** The readings of a reply (an abnormal reply: every point bad, the meter alive), or why it is unusable. */
  private decode(
    frame: cjt188.Frame,
    ts: number,
  ): { ok: true; readings: DriverReading[] } | { ok: false; reason: string; detail: string } {
    if (frame.control.abnormal) {
      this.extra.abnormal++;
      this.tracker.lastError = 'meter error (abnormal reply)';
      return { ok: true, readings: this.bad('meter error (abnormal reply)', ts) };
    }
    const r = cjt188.parseReadDataReply(frame);
    if (!r.ok) return { ok: false, reason: `bad frame: ${r.reason.split(':')[0]}`, detail: r.reason };
    return {
      ok: true,
      readings: this.points.map((p) => {
        const item = itemOf(p, r.value);
        if (!item.ok) return badReading(this.device, p, ts, item.reason);
        return valueReading(this.device, p, toEngineering(p, item.value), ts);
      }),
    };
  }

  private bad(reason: string, ts: number): DriverReading[] {
    return this.points.map((p) => badReading(this.device, p, ts, reason));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.releaseLine();
  }
}
