/**
 * Real Modbus masters from Debian read the simulator, and what they see decodes to the
 * control API's ground truth: mbpoll and pymodbus over TCP, and over RTU on a socat pty.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type ModbusPoint, ProfileRegistry } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer, pymodbus } from '../../test-support/peers.js';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import { buildControlApp } from '../src/control/app.js';
import { decodePoint } from '../src/device/codec.js';
import { parseScenario } from '../src/scenario/load.js';
import { Simulation } from '../src/scenario/simulation.js';
import { meterProfile } from './fixtures/profiles.js';

const run = promisify(execFile);
const mbpoll = peer('mbpoll', 'mbpoll');
const py = pymodbus();
const socat = socatPeer();

const pt = (name: string) => meterProfile.points.find((p) => p.name === name) as ModbusPoint;

/** mbpoll `-t 3:hex` output lines `[1]: 	0x4303` → words */
function hexWords(out: string): number[] {
  return [...out.matchAll(/^\[\d+\]:\s+0x([0-9A-F]{4})/gim)].map((m) => Number.parseInt(m[1]!, 16));
}

const PY_TCP = `
import json, sys
from pymodbus.client import ModbusTcpClient
c = ModbusTcpClient('127.0.0.1', port=int(sys.argv[1]))
c.connect()
rr = c.read_input_registers(0, 6, slave=int(sys.argv[2]))
print(json.dumps(rr.registers))
c.close()
`;
const PY_RTU = `
import json, sys
from pymodbus.client import ModbusSerialClient
c = ModbusSerialClient(port=sys.argv[1], baudrate=9600, timeout=1)
c.connect()
rr = c.read_input_registers(10, 2, slave=int(sys.argv[2]))
print(json.dumps(rr.registers))
c.close()
`;

async function truth(sim: Simulation, id: string) {
  const app = buildControlApp(sim);
  const body = (await app.inject(`/api/devices/${id}`)).json();
  await app.close();
  return body.points as Record<string, { value: unknown; served: number; last?: { value: unknown } }>;
}

describe.skipIf(!mbpoll.ok || !py.ok)('Modbus TCP read by mbpoll and pymodbus', () => {
  let sim: Simulation;
  let port: number;
  beforeAll(async () => {
    const yaml = `
devices:
  - id: meter
    profile: test-meter
    endpoint: { protocol: modbus-tcp, port: 0 }
    unit: 4
    repeat: { count: 2 }
`;
    const { loaded } = parseScenario(yaml, 'tcp.yaml', { registry: ProfileRegistry.of([meterProfile]) });
    sim = await Simulation.start({ loaded: loaded! });
    port = sim.endpoints()[0]!.port!;
  });
  afterAll(() => sim.stop());

  it('mbpoll: float32 and int32 (CDAB) registers decode to the ground truth', async () => {
    const { stdout } = await run(mbpoll.path, [
      '-m',
      'tcp',
      '-a',
      '5',
      '-r',
      '1',
      '-c',
      '6',
      '-t',
      '3:hex',
      '-1',
      '-p',
      String(port),
      '127.0.0.1',
    ]);
    const w = hexWords(stdout);
    expect(w).toHaveLength(6);
    const t = await truth(sim, 'meter-002');
    expect(t.voltage!.served).toBe(1);
    expect(decodePoint(pt('voltage'), w.slice(0, 2))).toBe(t.voltage!.last!.value);
    expect(decodePoint(pt('current'), w.slice(2, 3))).toBe(t.current!.last!.value);
    expect(decodePoint(pt('power'), w.slice(4, 6))).toBe(t.power!.last!.value);
  });

  it('mbpoll: an unmapped address is reported as illegal data address', async () => {
    const r = await run(mbpoll.path, [
      '-m',
      'tcp',
      '-a',
      '4',
      '-r',
      '101',
      '-c',
      '2',
      '-t',
      '3',
      '-1',
      '-p',
      String(port),
      '127.0.0.1',
    ]).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${r.stdout}${r.stderr}`).toMatch(/Illegal data address/i);
  });

  it('pymodbus: the same registers, unit 4', async () => {
    const { stdout } = await run(py.path, ['-c', PY_TCP, String(port), '4']);
    const w = JSON.parse(stdout) as number[];
    const t = await truth(sim, 'meter-001');
    expect(decodePoint(pt('voltage'), w.slice(0, 2))).toBe(t.voltage!.last!.value);
    expect(decodePoint(pt('power'), w.slice(4, 6))).toBe(t.power!.last!.value);
  });
});

describe.skipIf(!mbpoll.ok || !py.ok || !socat.ok)('Modbus RTU on a pty read by mbpoll and pymodbus', () => {
  let sim: Simulation;
  let pty: PtyPair;
  beforeAll(async () => {
    pty = await ptyPair();
    const yaml = `
devices:
  - id: bus
    profile: test-meter
    endpoint: { protocol: modbus-rtu, device: ${pty.a} }
    unit: 7
    repeat: { count: 2 }
`;
    const { loaded } = parseScenario(yaml, 'rtu.yaml', { registry: ProfileRegistry.of([meterProfile]) });
    sim = await Simulation.start({ loaded: loaded! });
  });
  afterAll(async () => {
    await sim.stop();
    await pty.close();
  });

  it('mbpoll -m rtu reads unit 8 and the words decode to the ground truth', async () => {
    const { stdout } = await run(mbpoll.path, [
      '-m',
      'rtu',
      '-a',
      '8',
      '-b',
      '9600',
      '-P',
      'none',
      '-r',
      '1',
      '-c',
      '6',
      '-t',
      '3:hex',
      '-1',
      pty.b,
    ]);
    const w = hexWords(stdout);
    const t = await truth(sim, 'bus-002');
    expect(decodePoint(pt('voltage'), w.slice(0, 2))).toBe(t.voltage!.last!.value);
    expect(decodePoint(pt('power'), w.slice(4, 6))).toBe(t.power!.last!.value);
  });

  it('pymodbus RTU reads the energy total of unit 7', async () => {
    const { stdout } = await run(py.path, ['-c', PY_RTU, pty.b, '7']);
    const w = JSON.parse(stdout) as number[];
    const t = await truth(sim, 'bus-001');
    expect(t.energy_total!.served).toBe(1);
    expect(decodePoint(pt('energy_total'), w)).toBe(t.energy_total!.last!.value);
  });
});
