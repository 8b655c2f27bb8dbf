import { ManualClock } from '@ganzhi/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverReading } from '../src/drivers/driver.js';
import { createModbusDriver } from '../src/drivers/modbus/index.js';
import type { ModbusDriver } from '../src/drivers/modbus/modbus-driver.js';
import { context, modbusSpec } from './helpers.js';
import { startTestServer, type TestServer } from './support/tcp-server.js';

const byPoint = (rs: DriverReading[]) => Object.fromEntries(rs.map((r) => [r.point, r]));

describe('Modbus TCP driver against modbus-serial ServerTCP', () => {
  let server: TestServer;
  let driver: ModbusDriver;

  beforeEach(async () => {
    server = await startTestServer();
    driver = createModbusDriver(
      modbusSpec(`modbus-tcp://127.0.0.1:${server.port}`),
      context(),
    ) as ModbusDriver;
  });
  afterEach(async () => {
    await driver.close();
    await server.close();
  });

  it('decodes every point with good quality, raw words and a source timestamp', async () => {
    const before = Date.now();
    const r = byPoint(await driver.read());
    expect(r.voltage).toMatchObject({ value: 230.5, quality: 'good', unit: 'V' });
    expect(r.current?.value).toBeCloseTo(5.25);
    expect(r.energy?.value).toBeCloseTo(1234.56);
    expect(r.energy?.raw).toEqual([0x0001, 0xe240]);
    expect(r.temperature?.value).toBeCloseTo(-5.2);
    expect(r.relay?.value).toBe(true);
    expect(r.voltage!.ts).toBeGreaterThanOrEqual(before);
    expect(driver.status().state).toBe('up');
  });

  it('turns an exception response into bad quality with the exception named, then recovers', async () => {
    server.fault = 'exception04';
    const bad = await driver.read();
    expect(
      bad.every((r) => r.quality === 'bad' && r.reason === 'modbus exception 04 (slave device failure)'),
    ).toBe(true);
    expect(driver.status().state).toBe('degraded');
    server.fault = 'none';
    const ok = await driver.read();
    expect(ok.every((r) => r.quality === 'good')).toBe(true);
    expect(driver.status().state).toBe('up');
  });

  it('splits a merged read the device rejects with exception 02 and remembers the split', async () => {
    server.fault = 'reject-gap';
    const before = driver.requests().length;
    const r = byPoint(await driver.read());
    expect(r.energy).toMatchObject({ quality: 'good' });
    expect(r.temperature).toMatchObject({ quality: 'good' });
    expect(driver.requests().length).toBe(before + 1);
    const n = server.requests;
    await driver.read();
    // the rejected merged read is not tried again: only the split requests
    expect(driver.requests().length).toBe(before + 1);
    expect(server.requests - n).toBeGreaterThan(0);
  });

  it('times out as bad "timeout", backs off after repeated failures, and recovers', async () => {
    // the backoff period passes on a manual clock (the device's own timeouts stay real)
    const clock = new ManualClock(Date.now());
    const d = createModbusDriver(modbusSpec(`modbus-tcp://127.0.0.1:${server.port}`), context({ clock }));
    try {
      server.fault = 'timeout';
      for (let i = 0; i < 3; i++) {
        const rs = await d.read();
        expect(rs.every((x) => x.quality === 'bad' && x.reason === 'timeout')).toBe(true);
        clock.advance(1000);
      }
      expect(d.status().state).toBe('down');
      const skipped = await d.read();
      expect(skipped.every((x) => x.reason === 'backoff')).toBe(true);
      server.fault = 'none';
      // backoff.initialMs 2000 × (1 ± 0.1 jitter, random 0.5 → ×1.0): still skipped just before it ends
      clock.advance(999);
      expect((await d.read()).every((x) => x.reason === 'backoff')).toBe(true);
      clock.advance(1);
      const ok = await d.read();
      expect(ok.every((x) => x.quality === 'good')).toBe(true);
    } finally {
      await d.close();
    }
  });

  it('survives the connection being dropped and reconnects', async () => {
    expect((await driver.read()).every((x) => x.quality === 'good')).toBe(true);
    server.dropConnections();
    await new Promise((r) => setTimeout(r, 50));
    let rs = await driver.read();
    for (let i = 0; i < 20 && !rs.every((x) => x.quality === 'good'); i++) {
      expect(rs.every((x) => x.quality === 'bad' && x.reason)).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      rs = await driver.read();
    }
    expect(rs.every((x) => x.quality === 'good')).toBe(true);
  });
});
