/**
 * One DL/T 645 meter on a shared bus. Every cycle reads each point's data identifier in turn
 * (read data, C = 11; 1997 identifiers C = 01) and decodes the reply with the shared codec.
 *
 * Fault behaviour (each becomes bad-quality readings, never an exception):
 * - abnormal reply (C = D1) → the point is bad with the error word ("meter error 02: no
 *   requested data"); the meter is alive: no retry, no backoff;
 * - silence → "timeout"; a damaged reply → "checksum" / "bad frame: truncated" …; a reply
 *   for another identifier → "bad frame: data identifier". These are retried while the meter
 *   is healthy; the first timeout ends the meter's cycle, and after `backoff.failures` silent
 *   cycles it is skipped ("backoff") — a dead meter costs its bus at most one timeout per cycle
 *   (see ../slave-backoff.ts).
 */
import { type Dlt645Point, dlt645, isDlt645Point, toEngineering } from '@ganzhi/device-profiles';
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
import { bcdWords, failureReason, frameReason, valueReading } from '../meter-bus/readings.js';
import { SlaveBackoffState } from '../slave-backoff.js';
import type { Dlt645DeviceSpec } from './options.js';

interface PlannedRead {
  point: Dlt645Point;
  dataId: string;
  format?: dlt645.DataIdFormat;
}

type Outcome =
  | { kind: 'value'; reading: DriverReading }
  | { kind: 'abnormal'; reason: string }
  | { kind: 'failed'; reason: string; detail: string; fatal: boolean };

export interface Dlt645Counters extends DriverCounters {
  /** replies refused by the deframer or the codec while this meter was asked */
  framesRefused: number;
  /** abnormal replies (error word) */
  abnormal: number;
}

export class Dlt645Driver implements Driver {
  readonly device: string;
  private readonly plan: PlannedRead[];
  private readonly tracker: DeviceStatusTracker;
  private readonly backoff: SlaveBackoffState;
  private readonly extra = { framesRefused: 0, abnormal: 0 };
  private closed = false;

  constructor(
    private readonly spec: Dlt645DeviceSpec,
    private readonly line: MeterBusLine<dlt645.Frame>,
    private readonly ctx: DriverContext,
    private readonly releaseLine: () => Promise<void>,
  ) {
    this.device = spec.id;
    this.tracker = new DeviceStatusTracker(ctx.clock.now());
    this.backoff = new SlaveBackoffState(spec.backoff, ctx.random, ctx.logger);
    this.plan = spec.points.filter(isDlt645Point).map((point) => {
      const info = dlt645.dataIdInfo(point.dlt645.dataId);
      const format = point.dlt645.format ?? info?.format;
      return {
        point,
        dataId: point.dlt645.dataId.toUpperCase(),
        ...(format ? { format: { format, signed: point.dlt645.signed ?? info?.signed ?? false } } : {}),
      };
    });
  }

  async connect(): Promise<void> {
    // the bus opens on the first transaction
  }

  status(): DriverStatus {
    const s = this.tracker.snapshot();
    return { ...s, counters: { ...s.counters, ...this.extra } as Dlt645Counters };
  }

  async read(): Promise<DriverReading[]> {
    if (this.closed) throw new Error('driver closed');
    const { clock } = this.ctx;
    const started = clock.now();
    this.tracker.counters.cycles++;
    if (this.backoff.skipping(started)) {
      this.tracker.counters.skipped++;
      return this.plan.map((r) => badReading(this.device, r.point, started, 'backoff'));
    }
    const attempts = this.backoff.attempts(this.spec.retries);
    const out: DriverReading[] = [];
    let answered = false;
    let failed = 0;
    let abort: string | undefined;
    for (const item of this.plan) {
      if (abort) {
        out.push(badReading(this.device, item.point, clock.now(), abort));
        continue;
      }
      const o = await this.ask(item, attempts);
      if (o.kind === 'value') {
        answered = true;
        out.push(o.reading);
        if (o.reading.quality === 'bad') failed++;
        continue;
      }
      failed++;
      out.push(badReading(this.device, item.point, clock.now(), o.reason));
      if (o.kind === 'abnormal') {
        answered = true;
        this.tracker.lastError = o.reason;
        continue;
      }
      this.tracker.lastError = o.detail;
      if (o.fatal) abort = o.reason;
    }
    const now = clock.now();
    if (!this.backoff.endCycle(answered || this.plan.length === 0, now, this.tracker.lastError)) {
      this.tracker.setState('down', now);
    } else {
      this.tracker.setState(failed > 0 ? 'degraded' : 'up', now);
      if (failed === 0) this.tracker.lastError = undefined;
    }
    return out;
  }

  private async ask(item: PlannedRead, attempts: number): Promise<Outcome> {
    const { address } = this.spec;
    const bytes = dlt645.readDataRequest(address, item.dataId, { preamble: this.spec.preamble });
    let last: Outcome = { kind: 'failed', reason: 'timeout', detail: 'timeout', fatal: true };
    for (let i = 0; i < attempts; i++) {
      this.tracker.counters.requests++;
      const r: BusResult<dlt645.Frame> = await this.line.transaction({
        bytes,
        timeoutMs: this.spec.timeoutMs,
        isAnswer: (f) => f.control.reply && f.address === address,
      });
      if (r.ok) {
        const v = dlt645.parseReadReply(r.frame, {
          address,
          dataId: item.dataId,
          ...(item.format ? { format: item.format } : {}),
        });
        if (v.ok) {
          const raw = bcdWords(r.frame.data.subarray(item.dataId.length / 2));
          const value = toEngineering(item.point, v.value);
          return { kind: 'value', reading: valueReading(this.device, item.point, value, r.ts, raw) };
        }
        if (v.error === 'abnormal') {
          this.extra.abnormal++;
          return { kind: 'abnormal', reason: v.reason };
        }
        // a checksum-valid reply that is not the answer (another identifier, BCD digit > 9)
        this.tracker.counters.errors++;
        this.extra.framesRefused++;
        last = { kind: 'failed', reason: frameReason(v.reason), detail: v.reason, fatal: false };
        continue;
      }
      this.tracker.counters.errors++;
      if (r.kind === 'timeout') this.tracker.counters.timeouts++;
      if (r.kind === 'frame') this.extra.framesRefused++;
      last = {
        kind: 'failed',
        reason: failureReason(r),
        detail: r.kind === 'frame' ? r.reason : failureReason(r),
        fatal: r.kind !== 'frame',
      };
      if (r.kind === 'line') break;
    }
    return last;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.releaseLine();
  }
}
