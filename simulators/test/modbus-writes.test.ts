/**
 * Simulated devices accept Modbus writes (functions 5, 6, 15, 16) over TCP and RTU-over-TCP:
 * the written point holds the value, the points derived from it follow (a streetlight switched
 * on draws power and current; its dim level scales them), every write is logged once with its
 * function, raw words or bits and decoded value, and refused writes answer the exception a real
 * device gives (02 / 03, see src/device/modbus-write.ts) and change nothing.
 */
import { type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../src/control/app.js';
import { parseScenario } from '../src/scenario/load.js';
import { Simulation } from '../src/scenario/simulation.js';
import { writableProfile } from './fixtures/profiles.js';
import { WRITES_SCENARIO } from './fixtures/writes-scenario.js';
import { closeClient, ModbusClient, mbap, rawExchange } from './helpers.js';

const light = ProfileRegistry.builtin().get('streetlight-controller') as Profile;
const registry = ProfileRegistry.of([light, writableProfile]);

async function start(protocol: string): Promise<Simulation> {
  const { loaded, problems } = parseScenario(WRITES_SCENARIO(protocol), 'writes.yaml', { registry });
  expect(problems).toEqual([]);
  return Simulation.start({ loaded: loaded! });
}

async function writesOf(sim: Simulation, id: string, since = 0) {
  const app = buildControlApp(sim);
  const body = (await app.inject(`/api/devices/${id}/writes?since=${since}`)).json();
  await app.close();
  return body as { total: number; writes: Record<string, unknown>[] };
}

describe('Modbus TCP writes', () => {
  let sim: Simulation;
  let c: ModbusClient;
  beforeAll(async () => {
    sim = await start('modbus-tcp');
    c = new ModbusClient();
    await c.connectTCP('127.0.0.1', { port: sim.endpoints()[0]!.port! });
    c.setTimeout(2000);
  });
  afterAll(async () => {
    await closeClient(c);
    await sim.stop();
  });

  it('switching the lamp on (function 5) makes it draw power and current; dimming (6, 16) scales them', async () => {
    c.setID(1);
    const power = async () => (await c.readInputRegisters(0, 4)).data; // lamp_power 0.1 W, V, I mA, PF
    const off = await power();
    expect(off[0]).toBe(8); // standby 0.8 W
    await c.writeCoil(0, true);
    const on = await power();
    expect(on[0]).toBe(608); // 0.8 + 120 W × 50 % = 60.8 W
    expect(on[2]! / 1000).toBeCloseTo(60.8 / (230 * (0.6 + 0.35 * 0.5)), 3);
    expect(on[2]).toBeGreaterThan(off[2]!);
    await c.writeRegister(0, 20); // function 6
    expect((await power())[0]).toBe(248); // 0.8 + 24
    await c.writeRegisters(0, [100]); // function 16
    expect((await power())[0]).toBe(1208);
    expect((await c.readHoldingRegisters(0, 1)).data).toEqual([100]);
    expect((await c.readCoils(0, 1)).data[0]).toBe(true);
    const log = await writesOf(sim, 'lamp');
    expect(log.total).toBe(3);
    expect(
      log.writes.map((w) => [w.function, w.address, w.bits ?? w.words, w.points, w.outcome, w.unit]),
    ).toEqual([
      [5, 0, [true], [{ point: 'lamp_on', value: true }], 'ok', 1],
      [6, 0, [20], [{ point: 'dim_level', value: 20 }], 'ok', 1],
      [16, 0, [100], [{ point: 'dim_level', value: 100 }], 'ok', 1],
    ]);
    expect(log.writes.every((w) => typeof w.ts === 'number' && typeof w.seq === 'number')).toBe(true);
    await c.writeCoil(0, false);
    expect((await power())[0]).toBe(8);
    expect((await writesOf(sim, 'lamp', 3)).writes).toHaveLength(1);
  });

  it('refuses what a real device refuses, changing nothing, and logs each refusal once', async () => {
    c.setID(2);
    const before = (await c.readHoldingRegisters(0, 6)).data;
    const tries: [string, () => Promise<unknown>, number][] = [
      ['read-only register', () => c.writeRegister(5, 1), 2],
      ['half a float32 (function 6)', () => c.writeRegister(0, 0x4000), 2],
      ['half a float32 (function 16)', () => c.writeRegisters(1, [0]), 2],
      ['a writable and a read-only point in one request', () => c.writeRegisters(4, [1, 1]), 2],
      ['out of range', () => c.writeRegister(4, 9), 3],
      ['a float outside its range', () => c.writeRegisters(0, [0x4f00, 0x0000]), 3],
      ['unmapped coil', () => c.writeCoil(7, true), 2],
      ['read-only coil', () => c.writeCoil(1, true), 2],
    ];
    for (const [what, fn, code] of tries) {
      await expect(fn(), what).rejects.toMatchObject({ modbusCode: code });
    }
    expect((await c.readHoldingRegisters(0, 6)).data).toEqual(before);
    const log = await writesOf(sim, 'rig');
    expect(log.writes.map((w) => [w.function, w.outcome, w.exception])).toEqual(
      tries.map(([, , code], i) => [[6, 6, 16, 16, 6, 16, 5, 5][i], 'refused', code]),
    );
    expect(log.writes[1]!.reason).toMatch(/sp_abcd occupies registers 0\.\.1: a float32 is written whole/);
    expect(log.writes[4]!.reason).toBe('mode: 9 is outside the range 0..3');
  });

  it('a coil value other than 0xFF00/0x0000 is exception 03 (function 5), logged by nobody', async () => {
    const { data } = await rawExchange(sim.endpoints()[0]!.port!, mbap(77, 2, [5, 0, 0, 0x12, 0x34]));
    expect([...data.subarray(7)]).toEqual([0x85, 3]);
  });
});

describe('Modbus RTU-over-TCP writes', () => {
  let sim: Simulation;
  let c: ModbusClient;
  beforeAll(async () => {
    sim = await start('modbus-rtu-tcp');
    c = new ModbusClient();
    await c.connectTelnet('127.0.0.1', { port: sim.endpoints()[0]!.port! });
    c.setTimeout(2000);
  });
  afterAll(async () => {
    await closeClient(c);
    await sim.stop();
  });

  it('writes a coil and registers; the lamp follows; a refused write answers its exception', async () => {
    c.setID(1);
    await c.writeCoil(0, true);
    await c.writeRegisters(0, [30]);
    expect((await c.readInputRegisters(0, 1)).data[0]).toBe(368); // 0.8 + 36 W
    await expect(c.writeRegister(0, 101)).rejects.toMatchObject({ modbusCode: 3 });
    expect((await writesOf(sim, 'lamp')).writes.map((w) => [w.function, w.outcome])).toEqual([
      [5, 'ok'],
      [16, 'ok'],
      [6, 'refused'],
    ]);
  });
});
