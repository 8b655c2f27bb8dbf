/**
 * Third-party Modbus masters write into the simulator and the device takes exactly what they
 * meant: Debian's mbpoll writes a holding register and a coil (TCP, and RTU on a socat pty),
 * Debian's pymodbus 3.0 writes float32 in ABCD and CDAB word order and a coil. Golden values:
 * IEEE 754 binary32 of 123.5 is 0x42F70000 and of −98.25 is 0xC2C48000 (sign, exponent 0x85,
 * fraction), so ABCD registers are [0x42F7, 0x0000] and CDAB (words swapped) [0x8000, 0xC2C4].
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer, pymodbus } from '../../test-support/peers.js';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import { buildControlApp } from '../src/control/app.js';
import { parseScenario } from '../src/scenario/load.js';
import { Simulation } from '../src/scenario/simulation.js';
import { writableProfile } from './fixtures/profiles.js';
import { WRITES_SCENARIO } from './fixtures/writes-scenario.js';

const run = promisify(execFile);
const mbpoll = peer('mbpoll', 'mbpoll');
const py = pymodbus();
const socat = socatPeer();
const light = ProfileRegistry.builtin().get('streetlight-controller') as Profile;
const registry = ProfileRegistry.of([light, writableProfile]);

async function control(sim: Simulation, path: string) {
  const app = buildControlApp(sim);
  const body = (await app.inject(path)).json();
  await app.close();
  return body;
}

const PY_WRITE = `
import json, sys
from pymodbus.client import ModbusTcpClient
from pymodbus.constants import Endian
from pymodbus.payload import BinaryPayloadBuilder
c = ModbusTcpClient('127.0.0.1', port=int(sys.argv[1]))
c.connect()
out = []
b = BinaryPayloadBuilder(byteorder=Endian.Big, wordorder=Endian.Big)
b.add_32bit_float(123.5)
out.append(c.write_registers(0, b.to_registers(), slave=2).isError())
b = BinaryPayloadBuilder(byteorder=Endian.Big, wordorder=Endian.Little)
b.add_32bit_float(-98.25)
out.append(c.write_registers(2, b.to_registers(), slave=2).isError())
out.append(c.write_coil(0, True, slave=2).isError())
out.append(c.write_register(0, 0x4000, slave=2).isError())
c.close()
print(json.dumps(out))
`;

describe.skipIf(!mbpoll.ok || !py.ok)('third-party masters write over Modbus TCP', () => {
  let sim: Simulation;
  let port: number;
  beforeAll(async () => {
    const { loaded } = parseScenario(WRITES_SCENARIO('modbus-tcp'), 'w.yaml', { registry });
    sim = await Simulation.start({ loaded: loaded! });
    port = sim.endpoints()[0]!.port!;
  });
  afterAll(() => sim.stop());

  it('mbpoll writes the dim level (holding register) and switches the lamp (coil)', async () => {
    const base = ['-m', 'tcp', '-a', '1', '-r', '1', '-p', String(port), '127.0.0.1'];
    await run(mbpoll.path, ['-t', '4', ...base, '40']);
    await run(mbpoll.path, ['-t', '0', ...base, '1']);
    const log = await control(sim, '/api/devices/lamp/writes');
    expect(
      log.writes.map((w: Record<string, unknown>) => [w.address, w.words ?? w.bits, w.points, w.outcome]),
    ).toEqual([
      [0, [40], [{ point: 'dim_level', value: 40 }], 'ok'],
      [0, [true], [{ point: 'lamp_on', value: true }], 'ok'],
    ]);
    // mbpoll's choice of function: 6 for one register, 5 for one coil
    expect(log.writes.map((w: Record<string, unknown>) => w.function)).toEqual([6, 5]);
    const t = await control(sim, '/api/devices/lamp');
    expect(t.points.lamp_power.value).toBe(48.8); // 0.8 + 120 W × 40 %
  });

  it('pymodbus writes float32 ABCD and CDAB and a coil; half a float is refused (02)', async () => {
    const { stdout } = await run(py.path, ['-c', PY_WRITE, String(port)]);
    expect(JSON.parse(stdout)).toEqual([false, false, false, true]);
    const log = await control(sim, '/api/devices/rig/writes');
    expect(
      log.writes.map((w: Record<string, unknown>) => [w.function, w.words ?? w.bits, w.outcome, w.exception]),
    ).toEqual([
      [16, [0x42f7, 0x0000], 'ok', undefined],
      [16, [0x8000, 0xc2c4], 'ok', undefined],
      [5, [true], 'ok', undefined],
      [6, [0x4000], 'refused', 2],
    ]);
    const t = await control(sim, '/api/devices/rig');
    expect([t.points.sp_abcd.value, t.points.sp_cdab.value, t.points.relay.value]).toEqual([
      123.5,
      -98.25,
      true,
    ]);
  });
});

describe.skipIf(!mbpoll.ok || !socat.ok)('mbpoll writes over Modbus RTU on a pty', () => {
  let sim: Simulation;
  let pty: PtyPair;
  beforeAll(async () => {
    pty = await ptyPair();
    const yaml = WRITES_SCENARIO('modbus-rtu').replaceAll(
      '{ protocol: modbus-rtu, port: 0 }',
      `{ protocol: modbus-rtu, device: ${pty.a} }`,
    );
    const { loaded, problems } = parseScenario(yaml, 'rtu.yaml', { registry });
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded! });
  });
  afterAll(async () => {
    await sim.stop();
    await pty.close();
  });

  it('a coil and a register written by mbpoll -m rtu reach unit 1', async () => {
    const base = ['-m', 'rtu', '-a', '1', '-b', '9600', '-P', 'none', '-r', '1', pty.b];
    await run(mbpoll.path, ['-t', '0', ...base, '1']);
    await run(mbpoll.path, ['-t', '4', ...base, '25']);
    const log = await control(sim, '/api/devices/lamp/writes');
    expect(log.writes.map((w: Record<string, unknown>) => [w.function, w.unit, w.outcome])).toEqual([
      [5, 1, 'ok'],
      [6, 1, 'ok'],
    ]);
    const t = await control(sim, '/api/devices/lamp');
    expect(t.points.lamp_power.value).toBe(30.8);
  });
});
