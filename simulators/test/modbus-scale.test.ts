/**
 * 500 Modbus devices in one process: every one answers on its port and unit with its own
 * values. (Throughput and memory are measured in bench/modbus.bench.mjs, not here.)
 */
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../src/scenario/load.js';
import { Simulation } from '../src/scenario/simulation.js';
import { meterProfile } from './fixtures/profiles.js';
import { closeClient, ModbusClient } from './helpers.js';

describe('scenario scale: 500 Modbus devices', () => {
  let sim: Simulation;
  beforeAll(async () => {
    const yaml = `
devices:
  - id: m
    profile: test-meter
    endpoint: { protocol: modbus-tcp, port: 0 }
    repeat: { count: 400, perEndpoint: 200 }
  - id: bus
    profile: test-meter
    endpoint: { protocol: modbus-rtu-tcp, port: 0 }
    repeat: { count: 100 }
`;
    const { loaded, problems } = parseScenario(yaml, 'scale.yaml', {
      registry: ProfileRegistry.of([meterProfile]),
    });
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded! });
  });
  afterAll(() => sim.stop());

  it('every device answers once and its served count is exactly 1', async () => {
    expect(sim.devices.size).toBe(500);
    const eps = sim.endpoints();
    expect(eps.map((e) => [e.protocol, e.devices.length])).toEqual([
      ['modbus-tcp', 200],
      ['modbus-tcp', 200],
      ['modbus-rtu-tcp', 100],
    ]);
    for (const e of eps) {
      const c = new ModbusClient();
      if (e.protocol === 'modbus-tcp') await c.connectTCP('127.0.0.1', { port: e.port! });
      else await c.connectTelnet('127.0.0.1', { port: e.port! });
      c.setTimeout(1000);
      for (const id of e.devices) {
        const d = sim.devices.get(id)!;
        c.setID(d.unitId!);
        const r = await c.readInputRegisters(22, 1);
        expect(r.data[0]).toBe(Math.round((d.truth().temperature!.last!.value as number) * 10) & 0xffff);
      }
      await closeClient(c);
    }
    for (const d of sim.devices.values()) expect(d.truth().temperature!.served).toBe(1);
  });
});
