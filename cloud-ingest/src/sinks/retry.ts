/**
 * Retrying a store write: the runtime's capped exponential backoff (`@ganzhi/runtime`
 * backoffDelay, jitter as a fraction of the delay), honouring the store's `Retry-After`. Only
 * errors flagged `retriable` are retried; after `maxAttempts` the last error is thrown (the
 * pipeline then keeps the data in the log and tries again later).
 */
import { backoffDelay, type Clock, type Random, sleep, systemClock, systemRandom } from '@ganzhi/runtime';
import { isRetriable } from '../errors.js';

export interface RetryPolicy {
  /** tries in total, including the first (≥ 1) */
  maxAttempts: number;
  /** delay before the first retry, ms */
  minDelayMs: number;
  /** cap of the computed delay, ms (Retry-After may ask for more, up to maxRetryAfterMs) */
  maxDelayMs: number;
  factor: number;
  /**
   * fraction of each delay that is random (0.5: ±25 %), so many ingests do not retry in step;
   * a Retry-After wait is only ever lengthened by it (by up to half the fraction)
   */
  jitter: number;
  /** longest Retry-After honoured, ms */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  minDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.5,
  maxRetryAfterMs: 300_000,
};

/** How a retry waits and draws its jitter (tests pass a ManualClock and a seeded Random). */
export interface RetryTiming {
  clock: Clock;
  random: Random;
}

export const SYSTEM_TIMING: RetryTiming = { clock: systemClock, random: systemRandom };

/**
 * Delay before retry number `attempt` (1 = first retry): the store's Retry-After when it gave
 * one (capped at maxRetryAfterMs, never shortened), else the runtime's backoff.
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: Random,
): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) {
    return Math.round(Math.min(retryAfterMs, policy.maxRetryAfterMs) * (1 + (policy.jitter / 2) * random()));
  }
  return backoffDelay(
    attempt,
    { initialMs: policy.minDelayMs, maxMs: policy.maxDelayMs, factor: policy.factor, jitter: policy.jitter },
    random,
  );
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export async function withRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  timing: RetryTiming,
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetriable(err) || attempt >= policy.maxAttempts) throw err;
      const delay = retryDelay(
        policy,
        attempt,
        (err as { retryAfterMs?: number }).retryAfterMs,
        timing.random,
      );
      onRetry?.(err, attempt, delay);
      await sleep(timing.clock, delay);
    }
  }
}
