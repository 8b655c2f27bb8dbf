/**
 * The bookkeeping every driver keeps for `status()`: the device's state and since when, the
 * last error, and the counters. One home, so that every protocol reports the same way: the
 * state changes `since` only when it really changes, and `status()` hands out a copy.
 */
import type { DeviceState, DriverCounters, DriverStatus } from './driver.js';

export const emptyCounters = (): DriverCounters => ({
  cycles: 0,
  requests: 0,
  errors: 0,
  timeouts: 0,
  reconnects: 0,
  skipped: 0,
});

export class DeviceStatusTracker {
  readonly counters: DriverCounters = emptyCounters();
  /** why the device is not (fully) up; shown on the status page and published with the status */
  lastError: string | undefined;
  private current: DeviceState = 'unknown';
  private changedAt: number;

  constructor(now: number, lastError?: string) {
    this.changedAt = now;
    this.lastError = lastError;
  }

  get state(): DeviceState {
    return this.current;
  }

  /** Sets the state; `since` moves only when it differs from the current one. */
  setState(state: DeviceState, now: number): void {
    if (state === this.current) return;
    this.current = state;
    this.changedAt = now;
  }

  /** The driver's `status()`. */
  snapshot(): DriverStatus {
    return {
      state: this.current,
      since: this.changedAt,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      counters: { ...this.counters },
    };
  }
}
