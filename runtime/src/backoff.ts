/**
 * Capped exponential backoff with jitter, the one rule for every retry and reconnect:
 *
 *   base(n)  = min(maxMs, initialMs × factor^(n−1))        n = consecutive failures, 1 = first
 *   delay(n) = base(n) × (1 − jitter/2 + jitter × random())
 *
 * `jitter` is a fraction of the delay (0.2 spreads it over ±10 %), so many clients that failed
 * together do not retry together. A server's explicit wait (e.g. HTTP Retry-After) is the
 * caller's to honour instead.
 */
import type { Random } from './random.js';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** multiplier per consecutive failure; default 2 */
  factor?: number;
  /** fraction of the delay randomised (0 = none, 0.2 = ±10 %); default 0.2 */
  jitter?: number;
}

export function backoffDelay(failures: number, policy: BackoffPolicy, random: Random): number {
  const factor = policy.factor ?? 2;
  const jitter = policy.jitter ?? 0.2;
  const n = Math.max(1, failures);
  const base = Math.min(policy.maxMs, policy.initialMs * factor ** (n - 1));
  return Math.round(base * (1 - jitter / 2 + jitter * random()));
}
