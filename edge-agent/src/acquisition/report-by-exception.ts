/**
 * Report-by-exception per point: a reading is passed on when its quality or reason changed,
 * its value moved by more than the deadband (any change for non-numeric values), or nothing
 * was reported for `maxSilenceMs` (heartbeat). Without a deadband any change is reported.
 */
import type { DriverReading } from '../drivers/driver.js';

export interface RbeOptions {
  /** deadband per point name (absolute, engineering units); missing = report any change */
  deadbands: ReadonlyMap<string, number>;
  /** heartbeat: report at least this often even when nothing changed */
  maxSilenceMs: number;
}

interface Last {
  value: DriverReading['value'];
  quality: DriverReading['quality'];
  reason: string | undefined;
  ts: number;
}

export class ReportByException {
  private readonly last = new Map<string, Last>();
  constructor(private readonly opts: RbeOptions) {}

  filter(readings: DriverReading[]): DriverReading[] {
    return readings.filter((r) => this.admit(r));
  }

  private admit(r: DriverReading): boolean {
    const prev = this.last.get(r.point);
    if (!prev || this.changed(prev, r) || r.ts - prev.ts >= this.opts.maxSilenceMs) {
      this.last.set(r.point, { value: r.value, quality: r.quality, reason: r.reason, ts: r.ts });
      return true;
    }
    return false;
  }

  private changed(prev: Last, r: DriverReading): boolean {
    if (prev.quality !== r.quality || prev.reason !== r.reason) return true;
    if (typeof prev.value === 'number' && typeof r.value === 'number') {
      const db = this.opts.deadbands.get(r.point);
      return db === undefined ? prev.value !== r.value : Math.abs(r.value - prev.value) > db;
    }
    return prev.value !== r.value;
  }
}
