/**
 * The last reading of every point of a device, for the status page. Kept in one slot per point
 * that each cycle overwrites in place, instead of holding the cycle's reading objects: a
 * reading held until the next cycle (a second at 1 Hz) outlives the young generation's
 * scavenges and is copied or promoted, dying in the old generation — at 5,000 readings/s that
 * was a large part of what the agent promoted. A numeric value goes into a field that only ever
 * holds numbers (V8 updates such a field in place), the raw registers are copied into the
 * slot's own array.
 */
import type { DriverReading } from '../drivers/driver.js';

/** What the status page shows of a point's last reading. */
export interface LastReading {
  value: DriverReading['value'];
  quality: DriverReading['quality'];
  ts: number;
  reason?: string;
  raw?: number[];
}

class Slot {
  /** the value when it is a number (NaN otherwise) */
  num = Number.NaN;
  /** the value when it is not a number */
  other: Exclude<DriverReading['value'], number> = null;
  isNum = false;
  quality: DriverReading['quality'] = 'good';
  ts = 0;
  reason: string | undefined = undefined;
  raw: number[] | undefined = undefined;

  set(r: DriverReading): void {
    const v = r.value;
    if (typeof v === 'number') {
      this.num = v;
      this.isNum = true;
      this.other = null;
    } else {
      this.other = v;
      this.isNum = false;
    }
    this.quality = r.quality;
    this.ts = r.ts;
    this.reason = r.reason;
    const raw = r.raw;
    if (raw === undefined) this.raw = undefined;
    else if (this.raw !== undefined && this.raw.length === raw.length) {
      for (let i = 0; i < raw.length; i++) this.raw[i] = raw[i]!;
    } else this.raw = raw.slice();
  }
}

export class LastReadings {
  private readonly slots = new Map<string, Slot>();

  /** Records a cycle's readings. */
  update(readings: readonly DriverReading[]): void {
    for (const r of readings) {
      let slot = this.slots.get(r.point);
      if (slot === undefined) {
        slot = new Slot();
        this.slots.set(r.point, slot);
      }
      slot.set(r);
    }
  }

  /** The point's last reading (a copy), or undefined before its first. */
  get(point: string): LastReading | undefined {
    const s = this.slots.get(point);
    if (s === undefined) return undefined;
    const out: LastReading = { value: s.isNum ? s.num : s.other, quality: s.quality, ts: s.ts };
    if (s.reason !== undefined) out.reason = s.reason;
    if (s.raw !== undefined) out.raw = s.raw.slice();
    return out;
  }
}
