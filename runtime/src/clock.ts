/**
 * Time, injected: everything that polls, backs off, expires or flushes takes a `Clock` so that a
 * test can drive it with `ManualClock` instead of waiting for real time.
 */

/** What `setTimeout` returned; only ever passed back to `clearTimeout`. */
export type TimerHandle = unknown;

export interface Clock {
  /** milliseconds since the Unix epoch */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock. Its timers are plain `setTimeout`s and keep the process alive while pending, as
 * Node's do: a caller that must not hold the process open clears them when it closes.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Resolves after `ms` on `clock`, or at once when `signal` aborts (never rejects). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(h);
      resolve();
    };
    const h = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock a test moves by hand. `advance(ms)` runs every timer that falls due, in time order
 * (ties in the order they were set), with `now()` equal to each timer's due time while it runs;
 * timers set by a running timer run too if they fall within the advance.
 */
export class ManualClock implements Clock {
  private t: number;
  private nextId = 1;
  private readonly timers = new Map<number, PendingTimer>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.timers.size;
  }

  /** Sets the time without running timers (a wall-clock jump). */
  set(t: number): void {
    this.t = t;
  }

  /** Moves time forward by `ms`, running each timer that falls due. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const timer of this.timers.values()) {
        if (
          timer.at <= end &&
          (next === undefined || timer.at < next.at || (timer.at === next.at && timer.id < next.id))
        )
          next = timer;
      }
      if (next === undefined) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  /** `advance`, then lets promise continuations queued by the timers run. */
  async advanceAsync(ms: number, step = ms): Promise<void> {
    let left = ms;
    while (left > 0) {
      const d = Math.min(step, left);
      this.advance(d);
      left -= d;
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
  }
}
