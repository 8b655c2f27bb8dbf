import type { Random } from './clock.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** multiplier per consecutive failure; default 2 */
  factor?: number;
  /** fraction of the delay randomised: delay * (1 - jitter/2 + jitter*random) ; default 0.2 */
  jitter?: number;
}

/**
 * Capped exponential backoff with jitter: delay(n) = min(max, initial * factor^(n-1)) ± jitter.
 * `failures` counts consecutive failures (1 = first).
 */
export function backoffDelay(failures: number, opts: BackoffOptions, random: Random): number {
  const factor = opts.factor ?? 2;
  const jitter = opts.jitter ?? 0.2;
  const n = Math.max(1, failures);
  const base = Math.min(opts.maxMs, opts.initialMs * factor ** (n - 1));
  return Math.round(base * (1 - jitter / 2 + jitter * random()));
}
