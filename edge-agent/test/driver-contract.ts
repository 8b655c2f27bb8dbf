/**
 * driverContract: what every Driver promises, run against each implementation.
 * - read() resolves with readings of this device, of profile points only, with units and times;
 * - an unreachable device never makes read() reject: it yields bad readings with a reason,
 *   and status() says down with the error;
 * - close() is idempotent; read() after close() rejects.
 */
import { describe, expect, it } from 'vitest';
import type { Driver } from '../src/drivers/driver.js';

export interface ContractSubject {
  /** a driver whose device answers */
  live(): Promise<Driver>;
  /** a driver whose device does not exist (refused connection / nothing there) */
  dead(): Promise<Driver>;
  /** points the profile has, by name → unit */
  units: Record<string, string>;
  /** reads until readings arrive (push drivers need a moment) */
  settleMs?: number;
}

export function driverContract(name: string, subject: () => ContractSubject): void {
  describe(`driverContract: ${name}`, () => {
    it('reads profile points with the device id, units and source times', async () => {
      const s = subject();
      const d = await s.live();
      try {
        await d.connect().catch(() => undefined);
        let rs = await d.read();
        for (let i = 0; i < 50 && !rs.some((r) => r.quality === 'good'); i++) {
          await new Promise((r) => setTimeout(r, s.settleMs ?? 50));
          rs = await d.read();
        }
        expect(rs.some((r) => r.quality === 'good')).toBe(true);
        const now = Date.now();
        for (const r of rs) {
          expect(r.device).toBe(d.device);
          expect(s.units[r.point], r.point).toBe(r.unit);
          expect(r.ts).toBeGreaterThan(now - 60_000);
          expect(r.ts).toBeLessThanOrEqual(now + 1000);
          if (r.quality === 'bad') expect(r.reason).toBeTruthy();
          if (r.quality === 'good') expect(r.reason).toBeUndefined();
        }
      } finally {
        await d.close();
      }
    });

    it('an unreachable device yields bad readings with a reason, never a rejection', async () => {
      const s = subject();
      const d = await s.dead();
      try {
        await d.connect().catch(() => undefined);
        const rs = await d.read();
        expect(rs.length).toBeGreaterThan(0);
        expect(rs.every((r) => r.quality === 'bad' && typeof r.reason === 'string' && r.value === null)).toBe(
          true,
        );
        expect(d.status().state).toBe('down');
        expect(d.status().lastError).toBeTruthy();
      } finally {
        await d.close();
      }
    });

    it('close() is idempotent and read() afterwards rejects', async () => {
      const d = await subject().live();
      await d.close();
      await d.close();
      await expect(d.read()).rejects.toThrow();
    });
  });
}
