/**
 * Third-party check of Modbus writes (issue 15): the agent's Modbus TCP driver writes into
 * Debian's python3-pymodbus server, and pymodbus's own client and BinaryPayloadDecoder
 * (byteorder Big; wordorder Big = ABCD, Little = CDAB) read back what the server holds: int16,
 * uint32 and float32 in ABCD and CDAB, and a coil switched on and then off. The expected
 * registers are IEEE 754 / two's complement by hand: −12345 = 0xCFC7; 3 000 000 000 =
 * 0xB2D05E00; 0x12345678 = 305 419 896 (CDAB: 5678 1234); float32 −98.25 = 0xC2C48000 and
 * 123.5 = 0x42F70000 (sign, exponent 0x85, fraction) — CDAB swaps the two words.
 */
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ModbusPoint, Profile } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pymodbus } from '../../test-support/peers.js';
import { freePort, type Spawned, spawnLogged, tempDir, waitFor } from '../../test-support/process.js';
import { createModbusDriver } from '../src/drivers/modbus/index.js';
import { context, modbusSpec } from './helpers.js';

const run = promisify(execFile);
const py = pymodbus();
const server = fileURLToPath(new URL('./support/pymodbus_server.py', import.meta.url));
const reader = fileURLToPath(new URL('./support/pymodbus_read.py', import.meta.url));

const point = (
  name: string,
  type: 'int16' | 'uint32' | 'float32',
  address: number,
  order?: 'CDAB',
): ModbusPoint => ({
  name,
  unit: '1',
  type: type === 'float32' ? 'float' : 'integer',
  access: 'read-write',
  modbus: { table: 'holding', address, type, ...(order ? { order } : {}) },
});
const points: ModbusPoint[] = [
  point('i16', 'int16', 20),
  point('u32_abcd', 'uint32', 21),
  point('u32_cdab', 'uint32', 23, 'CDAB'),
  point('f32_abcd', 'float32', 25),
  point('f32_cdab', 'float32', 27, 'CDAB'),
  {
    name: 'relay',
    unit: '1',
    type: 'boolean',
    access: 'read-write',
    modbus: { table: 'coil', address: 5, type: 'bool' },
  },
];
const profile: Profile = {
  id: 'pymodbus-writes',
  version: '1.0.0',
  manufacturer: 'Test',
  model: 'pymodbus',
  description: 'registers written into pymodbus',
  source: { document: 'test' },
  measurement: 'test',
  protocol: 'modbus',
  points,
};
const by = (n: string) => points.find((p) => p.name === n)!;

const canConnect = (port: number) =>
  new Promise<boolean | undefined>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(undefined));
  });

describe.skipIf(!py.ok)(
  `python3-pymodbus holds what the agent wrote${py.ok ? '' : ` (skipped: ${py.why})`}`,
  () => {
    let srv: Spawned;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      srv = spawnLogged(py.path, [server, String(port)], {
        dir: tempDir('ganzhi-pymodbus-w-'),
        name: 'pymodbus',
      });
      await waitFor('pymodbus server', () => canConnect(port), 15_000, 100);
    });
    afterAll(async () => {
      await srv?.stop(2000);
    });

    const held = async () => JSON.parse((await run(py.path, [reader, String(port)])).stdout);

    it('int16, uint32 and float32 in ABCD and CDAB, and a coil on then off', async () => {
      const d = createModbusDriver(
        modbusSpec(`modbus-tcp://127.0.0.1:${port}`, { profile, points, timeoutMs: 2000 }),
        context(),
      );
      const deadline = () => Date.now() + 5000;
      try {
        const r = await d.write!(
          [
            { point: by('i16'), value: -12345 },
            { point: by('u32_abcd'), value: 3_000_000_000 },
            { point: by('u32_cdab'), value: 0x12345678 },
            { point: by('f32_abcd'), value: -98.25 },
            { point: by('f32_cdab'), value: 123.5 },
            { point: by('relay'), value: true },
          ],
          { readback: true, deadline: deadline() },
        );
        expect(
          r.map((x) => x.outcome),
          JSON.stringify(r),
        ).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
        const on = await held();
        expect(on.registers).toEqual([
          0xcfc7, 0xb2d0, 0x5e00, 0x5678, 0x1234, 0xc2c4, 0x8000, 0x0000, 0x42f7,
        ]);
        expect(on).toMatchObject({
          int16: -12345,
          uint32_abcd: 3_000_000_000,
          uint32_cdab: 0x12345678,
          float32_abcd: -98.25,
          float32_cdab: 123.5,
          coil: true,
        });
        const [off] = await d.write!([{ point: by('relay'), value: false }], {
          readback: true,
          deadline: deadline(),
        });
        expect(off).toMatchObject({ outcome: 'ok', raw: false, readback: false });
        expect((await held()).coil).toBe(false);
      } finally {
        await d.close();
      }
    });
  },
);
