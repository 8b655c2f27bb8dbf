/** Third-party peer: Debian's python3-pymodbus serving known registers, read by the Modbus TCP driver. */
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pymodbus } from '../../test-support/peers.js';
import { freePort, type Spawned, spawnLogged, tempDir, waitFor } from '../../test-support/process.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { createModbusDriver } from '../src/drivers/modbus/index.js';
import { context, modbusSpec } from './helpers.js';

const py = pymodbus();
const script = fileURLToPath(new URL('./support/pymodbus_server.py', import.meta.url));

const canConnect = (port: number) =>
  new Promise<boolean | undefined>((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(undefined));
  });

describe.skipIf(!py.ok)('python3-pymodbus peer', () => {
  let server: Spawned;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    server = spawnLogged(py.path, [script, String(port)], {
      dir: tempDir('ganzhi-pymodbus-'),
      name: 'pymodbus',
    });
    await waitFor('pymodbus server', () => canConnect(port), 15_000, 100);
  });
  afterAll(async () => {
    await server?.stop(2000);
  });

  it('reads and decodes the registers pymodbus holds', async () => {
    const d = createModbusDriver(
      modbusSpec(`modbus-tcp://127.0.0.1:${port}`, { timeoutMs: 2000 }),
      context(),
    );
    try {
      const r = Object.fromEntries((await d.read()).map((x: DriverReading) => [x.point, x]));
      expect(r.voltage, server.log()).toMatchObject({ value: 230.5, quality: 'good' });
      expect(r.current?.value).toBeCloseTo(5.25);
      expect(r.energy?.value).toBeCloseTo(1234.56);
      expect(r.temperature?.value).toBeCloseTo(-5.2);
      expect(r.relay).toMatchObject({ value: true, quality: 'good' });
    } finally {
      await d.close();
    }
  });
});
