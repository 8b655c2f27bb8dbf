/**
 * Readings per second over a sliding window of whole seconds (the current, partial second
 * is not counted, so the figure does not dip at each second's start).
 */
export class RateCounter {
  private readonly secs: Float64Array;
  private readonly counts: Float64Array;

  constructor(private readonly windowSec = 10) {
    this.secs = new Float64Array(windowSec + 1).fill(-1);
    this.counts = new Float64Array(windowSec + 1);
  }

  add(n: number, now: number): void {
    const sec = Math.floor(now / 1000);
    const k = sec % this.secs.length;
    if (this.secs[k] !== sec) {
      this.secs[k] = sec;
      this.counts[k] = 0;
    }
    this.counts[k] = (this.counts[k] as number) + n;
  }

  rate(now: number): number {
    const sec = Math.floor(now / 1000);
    let sum = 0;
    for (let i = 0; i < this.secs.length; i++) {
      const s = this.secs[i] as number;
      if (s < sec && s >= sec - this.windowSec) sum += this.counts[i] as number;
    }
    return sum / this.windowSec;
  }
}
