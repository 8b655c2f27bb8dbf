/**
 * Retrying a store write: exponential backoff with jitter, honouring the store's
 * `Retry-After`. Only errors flagged `retriable` are retried; after `maxAttempts` the last
 * error is thrown (the pipeline then keeps the data in the log and tries again later).
 */
import { isRetriable } from '../errors.js';

export interface RetryPolicy {
  /** tries in total, including the first (≥ 1) */
  maxAttempts: number;
  /** delay before the first retry, ms */
  minDelayMs: number;
  /** cap of the computed delay, ms (Retry-After may ask for more, up to maxRetryAfterMs) */
  maxDelayMs: number;
  factor: number;
  /** up to this many ms of random delay added to each wait, so many ingests do not retry in step */
  jitterMs: number;
  /** longest Retry-After honoured, ms */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  minDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitterMs: 250,
  maxRetryAfterMs: 300_000,
};

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const jitter = Math.round(random() * policy.jitterMs);
  if (retryAfterMs !== undefined && retryAfterMs > 0) {
    return Math.min(retryAfterMs, policy.maxRetryAfterMs) + jitter;
  }
  const base = Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** Math.max(0, attempt - 1));
  return base + jitter;
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
  sleep: Sleep,
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetriable(err) || attempt >= policy.maxAttempts) throw err;
      const delay = backoffDelay(policy, attempt, (err as { retryAfterMs?: number }).retryAfterMs);
      onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
