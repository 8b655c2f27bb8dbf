import { describe, expect, it } from 'vitest';
import type { DriverReading } from '../drivers/driver.js';
import { ReportByException } from './report-by-exception.js';

const r = (
  point: string,
  value: DriverReading['value'],
  ts: number,
  quality: DriverReading['quality'] = 'good',
) => ({ device: 'd', point, value, unit: '1', ts, quality }) as DriverReading;

describe('ReportByException', () => {
  it('passes changes beyond the deadband, quality changes and heartbeats only', () => {
    const rbe = new ReportByException({ deadbands: new Map([['v', 0.5]]), maxSilenceMs: 10_000 });
    const seen = (x: DriverReading) => rbe.filter([x]).length === 1;
    expect(seen(r('v', 230, 0))).toBe(true);
    expect(seen(r('v', 230.4, 1000))).toBe(false);
    expect(seen(r('v', 230.45, 2000))).toBe(false); // measured against the last *reported* value
    expect(seen(r('v', 230.6, 3000))).toBe(true);
    expect(seen(r('v', 230.6, 4000, 'bad'))).toBe(true);
    expect(seen(r('v', 230.6, 5000))).toBe(true);
    expect(seen(r('v', 230.6, 14_999))).toBe(false);
    expect(seen(r('v', 230.6, 15_000))).toBe(true); // heartbeat
    // no deadband: any change; strings and booleans by equality
    expect(seen(r('s', 'on', 0))).toBe(true);
    expect(seen(r('s', 'on', 1))).toBe(false);
    expect(seen(r('s', 'off', 2))).toBe(true);
    expect(seen(r('n', 1, 0))).toBe(true);
    expect(seen(r('n', 1.0001, 1))).toBe(true);
  });
});
