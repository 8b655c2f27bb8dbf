/**
 * `ganzhi-agent probe … --write point=value` (issue 15), the built CLI against the simulators:
 * without --confirm it prints what it would write and writes nothing (the simulator's write
 * log stays empty); with --confirm it writes through the driver and prints the outcome; a
 * read-only point, a value outside the range and an unknown point are refused before anything
 * is sent; over OPC UA it prints the node and the type read from its DataType.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { parseScenario, Simulation, simNamespaceUri } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, [cli, 'probe', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
};

const light = ProfileRegistry.builtin().get('streetlight-controller') as Profile;
const pump = ProfileRegistry.builtin().get('pump-station-opcua') as Profile;

describe('ganzhi-agent probe --write', () => {
  let sim: Simulation;
  let modbusUrl: string;
  const pki = tempDir('ganzhi-probe-write-');
  beforeAll(async () => {
    const yaml = `
opcua: { pkiDir: ${pki}/server, modes: [None], tickMs: 200 }
devices:
  - id: lamp
    profile: streetlight-controller
    endpoint: { protocol: modbus-tcp, port: 0 }
    unit: 1
    signals:
      lamp_on: { kind: constant, value: false }
      dim_level: { kind: constant, value: 50 }
      supply_voltage: { kind: constant, value: 230 }
  - id: ps-3
    profile: pump-station-opcua
    endpoint: { protocol: opcua, port: 0 }
`;
    const { loaded, problems } = parseScenario(yaml, 'p.yaml', {
      registry: ProfileRegistry.of([light, pump]),
    });
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded!, anyPort: true });
    modbusUrl = `tcp://${sim.describe('lamp')!.address}`;
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
  });

  const lamp = () => sim.devices.get('lamp')!;

  it('without --confirm: prints the function and registers it would write, writes nothing, exits 2', async () => {
    const r = await run(
      'modbus',
      modbusUrl,
      '--profile',
      'streetlight-controller',
      '--write',
      'lamp_on=on',
      '--write',
      'dim_level=40',
    );
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain('would write');
    expect(r.out).toMatch(/lamp_on = true: unit 1 coil 0 ← ON \(FF00\) by function 5/);
    expect(r.out).toMatch(/dim_level = 40: unit 1 holding 0 ← 0x0028 by function 6/);
    expect(r.out).toContain('repeat with --confirm');
    expect(lamp().writes.total).toBe(0);
  });

  it('with --confirm --readback: writes, prints each outcome, exits 0', async () => {
    const r = await run(
      'modbus',
      modbusUrl,
      '--profile',
      'streetlight-controller',
      '--write',
      'lamp_on=on',
      '--write',
      'dim_level=40',
      '--confirm',
      '--readback',
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/lamp_on: ok {2}raw true {2}read back true/);
    expect(r.out).toMatch(/dim_level: ok {2}raw 0x0028 {2}read back 40/);
    expect(
      lamp()
        .writes.since(0)
        .map((w) => [w.function, w.words ?? w.bits]),
    ).toEqual([
      [5, [true]],
      [6, [40]],
    ]);
    const off = await run(
      'modbus',
      modbusUrl,
      '--profile',
      'streetlight-controller',
      '--write',
      'lamp_on=0',
      '--confirm',
    );
    expect(off.code, off.out).toBe(0);
    expect(lamp().writes.since(0).at(-1)).toMatchObject({ function: 5, bits: [false], outcome: 'ok' });
  });

  it('refuses read-only points, values outside the range and unknown points before sending anything', async () => {
    const before = lamp().writes.total;
    const cases: [string, RegExp][] = [
      ['lamp_power=5', /lamp_power: the point is read-only/],
      ['dim_level=150', /dim_level=150: outside the point's range 0\.\.100/],
      ['dim_level=abc', /expected a number/],
      ['nope=1', /no such point in profile streetlight-controller \(writable: lamp_on, dim_level\)/],
      ['lamp_on', /expected point=value/],
    ];
    const runs = await Promise.all(
      cases.map(([a]) =>
        run('modbus', modbusUrl, '--profile', 'streetlight-controller', '--write', a, '--confirm'),
      ),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toMatch(cases[i]![1]);
    }
    const noProfile = await run('modbus', modbusUrl, '--write', 'lamp_on=1', '--confirm');
    expect(noProfile.out).toMatch(/--write needs --profile/);
    expect(lamp().writes.total).toBe(before);
  }, 120_000);

  it('OPC UA: prints the node and its DataType, writes with --confirm', async () => {
    const dev = sim.devices.get('ps-3')!;
    const url = sim.describe('ps-3')!.address!;
    const args = [
      'opcua',
      url.startsWith('opc.tcp://') ? url : `opc.tcp://${url}`,
      '--profile',
      'pump-station-opcua',
      '--namespace-uri',
      simNamespaceUri(dev, pump.opcua?.namespaceUri ?? ''),
      '--write',
      'speed_setpoint=900',
    ];
    const dry = await run(...args);
    expect(dry.code, dry.out).toBe(2);
    expect(dry.out).toMatch(/speed_setpoint = 900: node ns=\d+;s=.*SpeedSetpoint as Double \(its DataType\)/);
    expect(dev.writes.total).toBe(0);
    const r = await run(...args, '--confirm', '--readback');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/speed_setpoint: ok {2}raw 900 {2}read back 900/);
    expect(dev.writes.since(0).map((w) => [w.dataType, w.raw])).toEqual([['Double', 900]]);
  }, 120_000);
});
