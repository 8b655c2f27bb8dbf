/**
 * One scheduler per device: the first cycle starts at a random point within the first
 * interval (so a hundred devices do not all fire at once), rounded up to a 50 ms slot of the
 * clock (so devices with the same interval share at most interval/50 ms ticks per interval:
 * their batches reach the log and the broker together, one socket write per tick instead of
 * one per device), later cycles on a fixed grid start + k·interval. A cycle that outlasts its interval is counted as an overrun and the
 * missed grid slots are skipped — cycles never stack.
 */

import type { Clock, Random } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { Driver, DriverReading } from '../drivers/driver.js';
import type { ReportByException } from './report-by-exception.js';
import type { ReadingBatch, ReadingSink } from './sink.js';
import type { SlotTimer, SlotTimers } from './slot-timers.js';

export interface SchedulerOptions {
  driver: Driver;
  intervalMs: number;
  clock: Clock;
  random: Random;
  sink: ReadingSink;
  batch: Omit<ReadingBatch, 'readings' | 'device'>;
  /** the device's logger (carries `device`) */
  logger: Logger;
  rbe?: ReportByException;
  /** called with every cycle's readings before report-by-exception (status page: last values) */
  onCycle?: (readings: DriverReading[]) => void;
  /** shared with the agent's other schedulers: one timer per due time (default: one per device) */
  timers?: SlotTimers;
}

/** Poll phases are multiples of this on the clock (see above); at most the interval. */
export const PHASE_SLOT_MS = 50;

export interface SchedulerStats {
  cycles: number;
  overruns: number;
  readings: number;
  reported: number;
}

export class DeviceScheduler {
  readonly stats: SchedulerStats = { cycles: 0, overruns: 0, readings: 0, reported: 0 };
  private timer: unknown;
  private slotTimer: SlotTimer | undefined;
  private nextAt = 0;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastState: string | undefined;
  private lastError: string | undefined;

  constructor(private readonly o: SchedulerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const now = this.o.clock.now();
    const slot = Math.max(1, Math.min(PHASE_SLOT_MS, this.o.intervalMs));
    const jittered = now + Math.floor(this.o.random() * this.o.intervalMs);
    this.nextAt = Math.ceil(jittered / slot) * slot;
    this.arm(now);
  }

  private arm(now: number): void {
    if (this.stopped) return;
    const { timers } = this.o;
    if (timers) {
      this.slotTimer = timers.at(this.nextAt, () => {
        this.slotTimer = undefined;
        this.fire();
      });
      return;
    }
    this.timer = this.o.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.fire();
      },
      Math.max(0, this.nextAt - now),
    );
  }

  private fire(): void {
    this.running = this.cycle().finally(() => {
      this.running = undefined;
    });
  }

  private async cycle(): Promise<void> {
    const { clock, driver, sink, intervalMs } = this.o;
    try {
      const readings = await driver.read();
      this.stats.cycles++;
      this.stats.readings += readings.length;
      this.o.onCycle?.(readings);
      const out = this.o.rbe ? this.o.rbe.filter(readings) : readings;
      this.stats.reported += out.length;
      const accepted =
        out.length > 0 ? await sink.write({ ...this.o.batch, device: driver.device, readings: out }) : true;
      if (accepted !== false) driver.delivered?.(); // in the buffer: push drivers acknowledge now
      await this.reportStatus();
    } catch (err) {
      if (!this.stopped) this.o.logger.error({ err }, 'poll cycle failed');
    }
    const end = clock.now();
    this.nextAt += intervalMs;
    if (end > this.nextAt) {
      this.stats.overruns++;
      const missed = Math.ceil((end - this.nextAt) / intervalMs);
      this.nextAt += missed * intervalMs;
    }
    this.arm(end);
  }

  private async reportStatus(): Promise<void> {
    const s = this.o.driver.status();
    if (s.state === this.lastState && s.lastError === this.lastError) return;
    this.lastState = s.state;
    this.lastError = s.lastError;
    await this.o.sink.status?.({
      device: this.o.driver.device,
      state: s.state,
      ts: this.o.clock.now(),
      since: s.since,
      ...(s.lastError ? { lastError: s.lastError } : {}),
      counters: { ...s.counters, overruns: this.stats.overruns },
    });
  }

  /** Stops scheduling and waits for a cycle in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.slotTimer !== undefined) this.o.timers?.cancel(this.slotTimer);
    this.slotTimer = undefined;
    await this.running;
  }
}
