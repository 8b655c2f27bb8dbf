/** Token bucket per key (the client's IP), bounded in memory. */
import type { Clock } from '@ganzhi/runtime';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #perMs: number;
  readonly #burst: number;
  readonly #clock: Clock;
  readonly #maxKeys: number;

  constructor(opts: { perSecond: number; burst: number; clock: Clock; maxKeys?: number }) {
    this.#perMs = opts.perSecond / 1000;
    this.#burst = opts.burst;
    this.#clock = opts.clock;
    this.#maxKeys = opts.maxKeys ?? 100_000;
  }

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const now = this.#clock.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= this.#maxKeys) this.#evict(now);
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#perMs);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  #evict(now: number): void {
    const full = this.#burst / this.#perMs;
    for (const [k, b] of this.#buckets) if (now - b.at >= full) this.#buckets.delete(k);
    if (this.#buckets.size >= this.#maxKeys) this.#buckets.clear();
  }
}
