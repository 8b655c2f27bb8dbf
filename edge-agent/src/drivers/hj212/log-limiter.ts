/**
 * At most one log line per key per period, with the number of occurrences it stands for:
 * refusals an attacker can trigger at will (unknown MN, wrong password, garbage) must not
 * flood the log.
 */
import type { Clock } from '@ganzhi/runtime';

export class LogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly periodMs = 60_000,
    private readonly maxKeys = 1000,
  ) {}

  /** Whether to log now; `count` is how many occurrences the line stands for (1 + suppressed). */
  allow(key: string): { log: boolean; count: number } {
    const now = this.clock.now();
    const e = this.last.get(key);
    if (e && now - e.at < this.periodMs) {
      e.suppressed++;
      return { log: false, count: 0 };
    }
    if (!e && this.last.size >= this.maxKeys) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
    const count = 1 + (e?.suppressed ?? 0);
    this.last.delete(key);
    this.last.set(key, { at: now, suppressed: 0 });
    return { log: true, count };
  }
}
