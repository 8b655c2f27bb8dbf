/**
 * A fixed-size ring of (ts, value) samples for one point: the chart's memory when no
 * store is given. NaN stands for null. Pushing past capacity overwrites the oldest.
 */
import type { Sample } from './source.js';

export class SampleRing {
  private readonly ts: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }

  /** Empties the ring for reuse by another point. */
  clear(): void {
    this.next = 0;
    this.size = 0;
  }

  get length(): number {
    return this.size;
  }

  push(ts: number, value: number | null): void {
    this.ts[this.next] = ts;
    this.values[this.next] = value ?? Number.NaN;
    this.next = (this.next + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  /** Samples in [from, to), sorted by ts; a ts seen twice (a redelivery) appears once, last write wins. */
  range(from: number, to: number): Sample[] {
    const byTs = new Map<number, number | null>();
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const k = (start + i) % this.capacity;
      const t = this.ts[k] as number;
      if (t < from || t >= to) continue;
      const v = this.values[k] as number;
      byTs.set(t, Number.isNaN(v) ? null : v);
    }
    return [...byTs].map(([ts, value]) => ({ ts, value })).sort((a, b) => a.ts - b.ts);
  }
}

/** Mean per `every`-wide bucket (bucket start as ts); null when a bucket holds only nulls. */
export function bucketMean(samples: readonly Sample[], every: number): Sample[] {
  const out: Sample[] = [];
  let cur: { ts: number; sum: number; n: number } | undefined;
  const flush = () => {
    if (cur) out.push({ ts: cur.ts, value: cur.n > 0 ? cur.sum / cur.n : null });
  };
  for (const s of samples) {
    const b = Math.floor(s.ts / every) * every;
    if (!cur || cur.ts !== b) {
      flush();
      cur = { ts: b, sum: 0, n: 0 };
    }
    if (s.value !== null) {
      cur.sum += s.value;
      cur.n++;
    }
  }
  flush();
  return out;
}
