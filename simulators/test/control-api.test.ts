import { ProfileRegistry } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../src/control/app.js';
import { parseScenario } from '../src/scenario/load.js';
import { Simulation } from '../src/scenario/simulation.js';
import { meterProfile } from './fixtures/profiles.js';
import { closeClient, ModbusClient } from './helpers.js';

const yaml = `
seed: 5
devices:
  - id: m
    profile: test-meter
    endpoint: { protocol: modbus-tcp, port: 0 }
    repeat: { count: 3 }
    signals:
      temperature: { kind: constant, value: 21.5 }
`;

describe('control API', () => {
  let sim: Simulation;
  const app = () => buildControlApp(sim);
  beforeAll(async () => {
    const { loaded, problems } = parseScenario(yaml, 'inline.yaml', {
      registry: ProfileRegistry.of([meterProfile]),
    });
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded! });
  });
  afterAll(() => sim.stop());

  it('lists devices and endpoints', async () => {
    const a = app();
    const list = (await a.inject('/api/devices')).json();
    expect(list.map((d: { id: string; unit: number }) => [d.id, d.unit])).toEqual([
      ['m-001', 1],
      ['m-002', 2],
      ['m-003', 3],
    ]);
    const eps = (await a.inject('/api/endpoints')).json();
    expect(eps).toHaveLength(1);
    expect(eps[0].port).toBeGreaterThan(0);
    expect((await a.inject('/api/devices/nope')).statusCode).toBe(404);
    await a.close();
  });

  it('ground truth matches what a Modbus client reads, and served counts rise', async () => {
    const a = app();
    const port = sim.endpoints()[0]!.port!;
    const c = new ModbusClient();
    await c.connectTCP('127.0.0.1', { port });
    c.setID(2);
    const r1 = await c.readInputRegisters(22, 1);
    const r2 = await c.readInputRegisters(22, 1);
    await closeClient(c);
    expect(r2.data[0]).toBe(215);
    const t = (await a.inject('/api/devices/m-002')).json();
    expect(t.points.temperature.served).toBe(2);
    expect(t.points.temperature.last.value).toBe(21.5);
    expect(r1.data[0]! / 10).toBe(t.points.temperature.value);
    await a.close();
  });

  it('sets signals and injects/clears faults', async () => {
    const a = app();
    const put = await a.inject({
      method: 'PUT',
      url: '/api/devices/m-001/signals/temperature',
      payload: { kind: 'constant', value: -3.2 },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().value).toBe(-3.2);
    const bad = await a.inject({
      method: 'PUT',
      url: '/api/devices/m-001/signals/temperature',
      payload: { kind: 'sine', min: 1 },
    });
    expect(bad.statusCode).toBe(400);
    const noPoint = await a.inject({
      method: 'PUT',
      url: '/api/devices/m-001/signals/nope',
      payload: { kind: 'constant', value: 1 },
    });
    expect(noPoint.statusCode).toBe(404);

    const add = await a.inject({
      method: 'POST',
      url: '/api/devices/m-001/faults',
      payload: { id: 'ex', kind: 'exception', code: 4, for: 60_000 },
    });
    expect(add.statusCode).toBe(201);
    const port = sim.endpoints()[0]!.port!;
    const c = new ModbusClient();
    await c.connectTCP('127.0.0.1', { port });
    c.setTimeout(500);
    c.setID(1);
    await expect(c.readInputRegisters(22, 1)).rejects.toMatchObject({ modbusCode: 4 });
    const view = (await a.inject('/api/devices/m-001')).json();
    expect(view.faultList[0]).toMatchObject({ id: 'ex', kind: 'exception', active: true, hits: 1 });
    expect((await a.inject({ method: 'DELETE', url: '/api/devices/m-001/faults/ex' })).statusCode).toBe(204);
    expect((await a.inject({ method: 'DELETE', url: '/api/devices/m-001/faults/ex' })).statusCode).toBe(404);
    const r = await c.readInputRegisters(22, 1);
    expect(r.data[0]).toBe(0x10000 - 32);
    await closeClient(c);
    const badFault = await a.inject({
      method: 'POST',
      url: '/api/devices/m-001/faults',
      payload: { kind: 'meteor' },
    });
    expect(badFault.statusCode).toBe(400);
    await a.close();
  });

  it('a wrong fault or signal kind gets one message naming the valid kinds', async () => {
    const a = app();
    const typo = await a.inject({
      method: 'POST',
      url: '/api/devices/m-001/faults',
      payload: { kind: 'timeuot' },
    });
    expect(typo.statusCode).toBe(400);
    expect(typo.json()).toEqual({
      code: 'GZ_SIM_BAD_FAULT',
      message:
        'body/kind: "timeuot" is not a fault kind; valid kinds: latency, timeout, exception, bad-crc, garbled, truncated, refuse, drop, stuck, spike, status, garbage, partial-line, bad-checksum, clock-skew',
    });
    const noKind = await a.inject({ method: 'POST', url: '/api/devices/m-001/faults', payload: { for: 10 } });
    expect(noKind.json().message).toMatch(/^body\/kind is required: one of latency, timeout, /);
    const badField = await a.inject({
      method: 'POST',
      url: '/api/devices/m-001/faults',
      payload: { kind: 'timeout', probability: 2 },
    });
    expect(badField.json().message).toBe('body/probability must be <= 1');
    const sig = await a.inject({
      method: 'PUT',
      url: '/api/devices/m-001/signals/temperature',
      payload: { kind: 'sinus', min: 1 },
    });
    expect(sig.json()).toEqual({
      code: 'GZ_SIM_BAD_SIGNAL',
      message:
        'body/kind: "sinus" is not a signal kind; valid kinds: constant, sine, ramp, square, step, random-walk, noise, counter, replay',
    });
    const sine = await a.inject({
      method: 'PUT',
      url: '/api/devices/m-001/signals/temperature',
      payload: { kind: 'sine', min: 1 },
    });
    expect(sine.json().message).toBe('body/max is required; body/periodMs is required');
    await a.close();
  });

  it('the writes route refuses a bad since and an unknown device, and lists nothing before any write', async () => {
    const a = app();
    expect((await a.inject('/api/devices/m-002/writes')).json()).toEqual({
      id: 'm-002',
      total: 0,
      writes: [],
    });
    for (const q of ['abc', '-1', '1e3', '9'.repeat(40)]) {
      const r = await a.inject(`/api/devices/m-002/writes?since=${q}`);
      expect(r.statusCode, q).toBe(400);
    }
    expect((await a.inject('/api/devices/nope/writes')).statusCode).toBe(404);
    await a.close();
  });
});
