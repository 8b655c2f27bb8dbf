import { createServer, type Server, type Socket } from 'node:net';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../test-support/process.js';
import { createModbusDriver } from '../src/drivers/modbus/index.js';
import { nmeaChecksum } from '../src/drivers/serial/frame-parser.js';
import { createSerialDriver } from '../src/drivers/serial/index.js';
import { driverContract } from './driver-contract.js';
import { context, modbusSpec, serialSpec, testProfile } from './helpers.js';
import { startTestServer, type TestServer } from './support/tcp-server.js';

let modbus: TestServer;
let serial: Server;
let serialPort: number;
let deadPort: number;
const sockets = new Set<Socket>();
let talker: NodeJS.Timeout;

beforeAll(async () => {
  modbus = await startTestServer();
  deadPort = await freePort();
  serial = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => serial.listen(0, '127.0.0.1', () => r()));
  serialPort = (serial.address() as { port: number }).port;
  const body = 'GPGGA,123519,3954.4440,N,11623.4680,E,1,09,0.9,44.0,M,-8.0,M,,';
  talker = setInterval(() => {
    for (const s of sockets) s.write(`$${body}*${nmeaChecksum(body)}\r\n`);
  }, 20);
});
afterAll(async () => {
  clearInterval(talker);
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => serial.close(() => r()));
  await modbus.close();
});

const meter = testProfile();
driverContract('modbus-tcp', () => ({
  units: Object.fromEntries(meter.points.map((p) => [p.name, p.unit])),
  live: async () => createModbusDriver(modbusSpec(`modbus-tcp://127.0.0.1:${modbus.port}`), context()),
  dead: async () =>
    createModbusDriver(
      modbusSpec(`modbus-tcp://127.0.0.1:${deadPort}`, {
        backoff: { failures: 1, initialMs: 1000, maxMs: 1000 },
      }),
      context(),
    ),
}));

const gps = ProfileRegistry.builtin().get('gps-nmea')!;
const gpsFast = { ...gps, serial: { ...gps.serial!, intervalMs: 20 } };
driverContract('serial-tcp', () => ({
  units: Object.fromEntries(gps.points.map((p) => [p.name, p.unit])),
  live: async () =>
    createSerialDriver(
      serialSpec(`serial-tcp://127.0.0.1:${serialPort}`, {
        profile: gpsFast,
        points: gps.points,
        pollIntervalMs: 20,
      }),
      context(),
    ),
  dead: async () =>
    createSerialDriver(
      serialSpec(`serial-tcp://127.0.0.1:${deadPort}`, { profile: gpsFast, points: gps.points }),
      context(),
    ),
}));
