import type { Profile } from '@ganzhi/device-profiles';
import { ManualClock } from '@ganzhi/runtime';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLineRegistry } from '../lines.js';
import { parseModbusEndpoint } from './endpoint.js';
import { LineDownError } from './fault.js';
import { ModbusDriver } from './modbus-driver.js';
import type { ModbusLine } from './modbus-line.js';
import type { ModbusDeviceSpec } from './options.js';

const profile: Profile = {
  id: 'p',
  version: '1.0.0',
  manufacturer: 'm',
  model: 'm',
  description: '',
  source: { document: 'test' },
  measurement: 'x',
  protocol: 'modbus',
  points: [
    { name: 'a', unit: '1', type: 'integer', modbus: { table: 'holding', address: 0, type: 'uint16' } },
    { name: 'b', unit: '1', type: 'integer', modbus: { table: 'input', address: 0, type: 'uint16' } },
  ],
};

/** FAKE line for fault injection: answers or fails every transaction as told. */
function fakeLine(mode: { fail?: 'timeout' | 'down' }) {
  const calls: number[] = [];
  const line = {
    transaction: async (unit: number, _t: number, fn: (c: unknown) => Promise<unknown>) => {
      calls.push(unit);
      if (mode.fail === 'timeout') throw Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' });
      if (mode.fail === 'down') throw new LineDownError('connection: ECONNREFUSED');
      const client = {
        readHoldingRegisters: async () => ({ data: [7] }),
        readInputRegisters: async () => ({ data: [9] }),
      };
      return fn(client);
    },
  } as unknown as ModbusLine;
  return { line, calls };
}

function setup(mode: { fail?: 'timeout' | 'down' }, retries = 2) {
  const clock = new ManualClock(0);
  const spec: ModbusDeviceSpec = {
    protocol: 'modbus',
    id: 'd',
    profile,
    points: profile.points,
    endpoint: parseModbusEndpoint('modbus-rtu:///dev/null', 9600),
    unitId: 4,
    timeoutMs: 100,
    retries,
    pollIntervalMs: 1000,
    backoff: { failures: 3, initialMs: 5000, maxMs: 20_000 },
  };
  const logger = pino({ level: 'silent' });
  const { line, calls } = fakeLine(mode);
  const d = new ModbusDriver(
    spec,
    line,
    { clock, random: () => 0.5, logger, lines: createLineRegistry(logger) },
    async () => undefined,
  );
  return { d, clock, calls };
}

describe('ModbusDriver failure handling', () => {
  it('retries while healthy, then one attempt per cycle; the first timeout ends the cycle', async () => {
    const mode: { fail?: 'timeout' } = { fail: 'timeout' };
    const { d, calls } = setup(mode);
    const first = await d.read();
    expect(first.map((r) => r.reason)).toEqual(['timeout', 'timeout']);
    expect(calls).toHaveLength(3); // 1 + 2 retries for the first request, the second request not tried
    await d.read();
    expect(calls).toHaveLength(4); // once failing: one attempt per cycle
  });

  it('backs off after `failures` failed cycles, growing, and probes again', async () => {
    const mode: { fail?: 'timeout' } = { fail: 'timeout' };
    const { d, clock, calls } = setup(mode, 0);
    for (let i = 0; i < 3; i++) {
      clock.set(i * 1000);
      await d.read();
    }
    expect(d.status().state).toBe('down');
    const n = calls.length;
    clock.set(3000);
    expect((await d.read()).every((r) => r.reason === 'backoff')).toBe(true);
    clock.set(2000 + 4999);
    await d.read();
    expect(calls.length).toBe(n); // still backing off: no bus time spent
    clock.set(2000 + 5000);
    await d.read(); // the probe (fails again) → next backoff is 10 s
    expect(calls.length).toBe(n + 1);
    clock.set(7000 + 9999);
    await d.read();
    expect(calls.length).toBe(n + 1);
    mode.fail = undefined;
    clock.set(7000 + 10_000);
    const back = await d.read();
    expect(back.map((r) => r.value)).toEqual([7, 9]);
    expect(d.status()).toMatchObject({ state: 'up' });
    expect(d.status().counters.skipped).toBe(3);
  });

  it('a line that is down fails the cycle at once with the connection reason', async () => {
    const { d, calls } = setup({ fail: 'down' });
    const rs = await d.read();
    expect(rs.every((r) => r.quality === 'bad' && r.reason === 'connection: ECONNREFUSED')).toBe(true);
    expect(calls).toHaveLength(1);
  });
});
