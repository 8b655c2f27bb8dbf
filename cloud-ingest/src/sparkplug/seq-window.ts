/**
 * One edge node's Sparkplug `seq` (0..255, wrapping) as a counter that keeps growing across
 * wraps and births, with the reorder window of Sparkplug 3.0 (tck-id-operational-behavior-
 * host-reordering-*): a jump ahead opens the window for the messages skipped; if they have not
 * all arrived when it closes, `onGapTimeout` is called (the host requests a Rebirth). With a
 * window of 0 it is called at once.
 */
import type { Clock, TimerHandle } from '@ganzhi/runtime';

export class SeqWindow {
  private lastSeq = -1;
  private lastUnwrapped = -1;
  private readonly missing = new Set<number>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly reorderMs: number,
    private readonly onGapTimeout: () => void,
  ) {}

  /** the unwrapped number of the newest message */
  get current(): number {
    return this.lastUnwrapped;
  }

  /** A birth: its seq starts the session; the counter goes on by one, so no gap across births. */
  birth(seq: number): number {
    this.stop();
    this.lastSeq = seq;
    this.lastUnwrapped += 1;
    return this.lastUnwrapped;
  }

  /**
   * The unwrapped number of a message after the birth (seq 0..255). `gap` is set when it jumped
   * ahead (the messages in between are awaited in the reorder window); a message behind the
   * newest fills a gap or repeats an old one; the same seq again is the same message.
   */
  next(seq: number): { unwrapped: number; gap?: { expected: number } } {
    const diff = (seq - this.lastSeq + 256) % 256;
    if (diff === 0) return { unwrapped: this.lastUnwrapped };
    if (diff < 128) {
      const expected = (this.lastSeq + 1) % 256;
      const unwrapped = this.lastUnwrapped + diff;
      for (let u = this.lastUnwrapped + 1; u < unwrapped; u++) this.missing.add(u);
      this.lastSeq = seq;
      this.lastUnwrapped = unwrapped;
      if (diff === 1) return { unwrapped };
      this.open();
      return { unwrapped, gap: { expected } };
    }
    const unwrapped = this.lastUnwrapped - (256 - diff);
    if (this.missing.delete(unwrapped) && this.missing.size === 0) this.stop(); // reordering-success
    return { unwrapped };
  }

  /** Closes the window without a verdict (offline, a new birth, the host stopping). */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.missing.clear();
  }

  private open(): void {
    if (this.reorderMs === 0) {
      this.expire();
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.expire();
    }, this.reorderMs);
  }

  private expire(): void {
    if (this.missing.size === 0) return;
    this.missing.clear();
    this.onGapTimeout();
  }
}
