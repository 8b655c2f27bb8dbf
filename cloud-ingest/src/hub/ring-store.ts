/**
 * The chart's memory when no store is given: a SampleRing per point, grouped per device,
 * at most `maxRings` in all. When a new point needs a ring and the bound is reached, the
 * rings of the least recently written device are emptied and reused — except devices a
 * chart asked about in the last `watchMs`, so a point someone is looking at keeps its
 * history even in a city with more points than the bound.
 */
import { SampleRing } from './ring.js';

export class RingStore {
  /** device key → point → ring, in least-recently-written order */
  private readonly devices = new Map<string, Map<string, SampleRing>>();
  private readonly free: SampleRing[] = [];
  /** device key → when a chart last asked for it */
  private readonly watched = new Map<string, number>();
  private count = 0;

  constructor(
    private readonly ringSize: number,
    private readonly maxRings: number,
    private readonly watchMs = 15 * 60_000,
    private readonly maxWatched = 1000,
  ) {}

  /** rings in use */
  get size(): number {
    return this.count;
  }

  /** The rings of one device, marked as the most recently written. */
  touch(key: string): Map<string, SampleRing> {
    let m = this.devices.get(key);
    if (m) this.devices.delete(key);
    else m = new Map();
    this.devices.set(key, m);
    return m;
  }

  /** The ring of one point of a device returned by touch(), made if needed. */
  ring(key: string, rings: Map<string, SampleRing>, point: string, now: number): SampleRing {
    let r = rings.get(point);
    if (r) return r;
    if (this.count >= this.maxRings) this.evict(key, now);
    r = this.free.pop() ?? new SampleRing(this.ringSize);
    rings.set(point, r);
    this.count++;
    return r;
  }

  /** The ring a chart asks for (and the device is then watched). */
  get(key: string, point: string, now: number): SampleRing | undefined {
    if (this.watched.has(key) || this.watched.size < this.maxWatched) this.watched.set(key, now);
    return this.devices.get(key)?.get(point);
  }

  private evict(except: string, now: number): void {
    for (const [k, at] of this.watched) if (now - at > this.watchMs) this.watched.delete(k);
    for (const [k, m] of this.devices) {
      if (k === except || this.watched.has(k)) continue;
      this.devices.delete(k);
      for (const r of m.values()) {
        r.clear();
        this.free.push(r);
      }
      this.count -= m.size;
      return;
    }
    // every other device is watched: grow past the bound rather than lose a watched chart
  }
}
