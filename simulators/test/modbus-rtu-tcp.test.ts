import type { ModbusPoint } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePoint } from '../src/device/codec.js';
import { crcOk, withCrc } from '../src/modbus/crc16.js';
import { startModbusRtuTcpServer } from '../src/modbus/rtu-tcp-server.js';
import type { Listening } from '../src/modbus/tcp-server.js';
import { meterProfile } from './fixtures/profiles.js';
import { closeClient, ModbusClient, meters, rawExchange } from './helpers.js';

const pt = (name: string) => meterProfile.points.find((p) => p.name === name) as ModbusPoint;
const rtu = (bytes: number[]) => withCrc(Buffer.from(bytes));

describe('Modbus RTU over TCP', () => {
  const { units, devices } = meters([1, 2]);
  let srv: Listening;
  let client: ModbusClient;
  beforeAll(async () => {
    srv = await startModbusRtuTcpServer({ port: 0, units, idleMs: 10 });
    client = new ModbusClient();
    await client.connectTelnet('127.0.0.1', { port: srv.port });
    client.setTimeout(300);
  });
  afterAll(async () => {
    await closeClient(client);
    await srv.close();
  });

  it('modbus-serial (telnet = raw RTU over TCP) reads both units; values decode to the ground truth', async () => {
    for (const d of devices) {
      client.setID(d.unitId!);
      const r = await client.readInputRegisters(0, 6);
      expect(decodePoint(pt('voltage'), r.data.slice(0, 2))).toBe(d.truth().voltage!.last!.value);
    }
  });

  it('answers with a valid CRC; a request with a bad CRC is ignored; noise before a frame is skipped', async () => {
    const ok = await rawExchange(srv.port, rtu([1, 4, 0, 0, 0, 2]), 80);
    expect(ok.data.length).toBe(9);
    expect(crcOk(ok.data)).toBe(true);
    const badCrc = rtu([1, 4, 0, 0, 0, 2]);
    badCrc[7]! ^= 0xff;
    expect((await rawExchange(srv.port, badCrc, 80)).data.length).toBe(0);
    const noisy = Buffer.concat([Buffer.from([0x55, 0xaa, 0x01, 0x99]), rtu([2, 4, 0, 0, 0, 2])]);
    const r = await rawExchange(srv.port, noisy, 80);
    expect(r.data[0]).toBe(2);
    expect(crcOk(r.data)).toBe(true);
  });

  it('unknown function code with a valid CRC → exception 01; unknown unit → silence', async () => {
    const r = await rawExchange(srv.port, rtu([1, 0x41, 1, 2, 3]), 80);
    expect([...r.data.subarray(0, 3)]).toEqual([1, 0xc1, 1]);
    expect((await rawExchange(srv.port, rtu([9, 4, 0, 0, 0, 2]), 80)).data.length).toBe(0);
  });

  it('frame faults: bad CRC and truncated answers', async () => {
    const d = devices[1]!;
    d.faults.add({ id: 'crc', kind: 'bad-crc' }, d.now());
    const r = await rawExchange(srv.port, rtu([2, 4, 0, 0, 0, 2]), 80);
    expect(r.data.length).toBe(9);
    expect(crcOk(r.data)).toBe(false);
    client.setID(2);
    await expect(client.readInputRegisters(0, 2)).rejects.toThrow();
    d.faults.clear();
    d.faults.add({ id: 'cut', kind: 'truncated' }, d.now());
    const cut = await rawExchange(srv.port, rtu([2, 4, 0, 0, 0, 2]), 80);
    expect(cut.data.length).toBeLessThan(9);
    d.faults.clear();
  });
});
