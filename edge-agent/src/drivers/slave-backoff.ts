/**
 * Dead-device isolation on a shared bus, as the Modbus RTU path does it (see modbus-driver.ts
 * and the README's failure behaviour): a healthy device gets `retries` extra attempts per
 * request; once it has failed a cycle it gets one attempt per cycle, and the first timeout ends
 * its cycle; after `failures` failed cycles in a row it is skipped (no bus time) for a backoff
 * period that doubles up to `maxMs` (with jitter), then probed again with one cycle.
 *
 * A cycle "fails" when the device answered nothing at all; an abnormal reply (a Modbus
 * exception, a DL/T 645 error word) is an answer: the device is alive and not backed off.
 */
import { backoffDelay, type Random } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { SlaveBackoff } from './driver.js';

export class SlaveBackoffState {
  private failedCycles = 0;
  private backedOffUntil = 0;

  constructor(
    private readonly policy: SlaveBackoff,
    private readonly random: Random,
    private readonly logger: Logger,
  ) {}

  /** The device is being skipped (no bus time) at `now`. */
  skipping(now: number): boolean {
    return now < this.backedOffUntil;
  }

  /** Attempts per request this cycle: retries + 1 while healthy, 1 once it has failed a cycle. */
  attempts(retries: number): number {
    return this.failedCycles === 0 ? retries + 1 : 1;
  }

  /** Ends a cycle; returns whether the device answered anything. */
  endCycle(answered: boolean, now: number, reason: string | undefined): boolean {
    if (!answered) {
      this.failedCycles++;
      const threshold = this.policy.failures;
      if (this.failedCycles >= threshold) {
        const wait = backoffDelay(
          this.failedCycles - threshold + 1,
          { initialMs: this.policy.initialMs, maxMs: this.policy.maxMs },
          this.random,
        );
        this.backedOffUntil = now + wait;
        if (this.failedCycles === threshold) {
          this.logger.warn({ reason, backoffMs: wait }, 'device not answering; backing off');
        }
      }
      return false;
    }
    if (this.failedCycles >= this.policy.failures) this.logger.info('device answering again');
    this.failedCycles = 0;
    this.backedOffUntil = 0;
    return true;
  }
}
