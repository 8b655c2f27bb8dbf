import { connect } from 'node:net';
import type { ModbusPoint } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test-support/process.js';
import { decodePoint } from '../src/device/codec.js';
import type { Listening } from '../src/modbus/tcp-server.js';
import { startModbusTcpServer } from '../src/modbus/tcp-server.js';
import { meterProfile } from './fixtures/profiles.js';
import { closeClient, ModbusClient, mbap, meters, rawExchange } from './helpers.js';

const pt = (name: string) => meterProfile.points.find((p) => p.name === name) as ModbusPoint;

describe('modbus tcp front-end', () => {
  const { units, devices } = meters([1, 2, 17]);
  let srv: Listening;
  let client: ModbusClient;

  beforeAll(async () => {
    srv = await startModbusTcpServer({ port: 0, units });
    client = new ModbusClient();
    await client.connectTCP('127.0.0.1', { port: srv.port });
    client.setTimeout(300);
  });
  afterAll(async () => {
    await closeClient(client);
    await srv.close();
  });

  it('serves several unit ids on one port, each decoding to its own ground truth', async () => {
    for (const d of devices) {
      client.setID(d.unitId!);
      const r = await client.readInputRegisters(0, 6);
      const t = d.truth();
      expect(decodePoint(pt('voltage'), r.data.slice(0, 2))).toBe(t.voltage!.last!.value);
      expect(decodePoint(pt('power'), r.data.slice(4, 6))).toBe(t.power!.last!.value);
      expect(t.voltage!.served).toBe(1);
    }
    const [a, b] = devices.map((d) => d.truth().voltage!.last!.value);
    expect(a).not.toBe(b);
  });

  it('an unknown unit id gets no answer (the client times out)', async () => {
    client.setID(9);
    await expect(client.readInputRegisters(0, 2)).rejects.toThrow(/Timed out/i);
  });

  it('unmapped addresses and limits get the right exceptions', async () => {
    client.setID(1);
    await expect(client.readInputRegisters(100, 2)).rejects.toMatchObject({ modbusCode: 2 });
    await expect(client.readHoldingRegisters(0, 126)).rejects.toMatchObject({ modbusCode: 3 });
    const bits = await client.readCoils(0, 1);
    expect(bits.data[0]).toBe(devices[0]!.truth().relay!.last!.value);
    await client.writeRegister(0, 250);
    expect(devices[0]!.truth().setpoint!.value).toBe(25);
  });

  it('bad function codes, short PDUs and garbage: exception or closed connection, never a crash', async () => {
    const badFc = await rawExchange(srv.port, mbap(1, 1, [0x2b, 0x0e, 0x01, 0x00]));
    expect([...badFc.data.subarray(7)]).toEqual([0xab, 0x01]);
    const short = await rawExchange(srv.port, mbap(2, 1, [0x03, 0x00]));
    expect([...short.data.subarray(7)]).toEqual([0x83, 0x03]);
    const lenMismatch = await rawExchange(srv.port, mbap(3, 1, [0x10, 0, 0, 0, 2, 9, 1, 2]));
    expect([...lenMismatch.data.subarray(7)]).toEqual([0x90, 0x03]);
    const garbage = await rawExchange(srv.port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(garbage.closed).toBe(true);
    expect(garbage.data.length).toBe(0);
    // still serving
    client.setID(2);
    const r = await client.readInputRegisters(0, 2);
    expect(r.data).toHaveLength(2);
  });

  it('frame faults: exception code, timeout, garbled answer, dropped connection', async () => {
    const d = devices[2]!;
    client.setID(17);
    d.faults.add({ id: 'x', kind: 'exception', code: 6 }, d.now());
    await expect(client.readInputRegisters(0, 2)).rejects.toMatchObject({ modbusCode: 6 });
    d.faults.clear();
    d.faults.add({ kind: 'timeout' }, d.now());
    await expect(client.readInputRegisters(0, 2)).rejects.toThrow(/Timed out/i);
    d.faults.clear();
    const before = d.truth().voltage!.served;
    d.faults.add({ kind: 'truncated' }, d.now());
    const cut = await rawExchange(srv.port, mbap(5, 17, [4, 0, 0, 0, 2]), 100);
    expect(cut.data.length).toBe(8);
    d.faults.clear();
    d.faults.add({ kind: 'drop' }, d.now());
    const dropped = await rawExchange(srv.port, mbap(6, 17, [4, 0, 0, 0, 2]));
    expect(dropped.closed).toBe(true);
    d.faults.clear();
    expect(d.truth().voltage!.served).toBe(before);
  });

  it('latency delays one unit without holding up another on the same connection', async () => {
    const slow = devices[0]!;
    slow.faults.add({ id: 'slow', kind: 'latency', ms: 300 }, slow.now());
    const order: number[] = [];
    await new Promise<void>((resolve) => {
      const sock = connect(srv.port, '127.0.0.1', () => {
        sock.write(Buffer.concat([mbap(10, 1, [4, 0, 0, 0, 2]), mbap(11, 2, [4, 0, 0, 0, 2])]));
      });
      let buf = Buffer.alloc(0);
      sock.on('data', (c) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 13) {
          order.push(buf[6]!);
          buf = buf.subarray(13);
        }
        if (order.length === 2) {
          sock.destroy();
          resolve();
        }
      });
    });
    slow.faults.clear();
    expect(order).toEqual([2, 1]);
  });

  it('refuse: the port refuses connections while every unit refuses, then listens again', async () => {
    const attempt = () =>
      new Promise<string>((resolve) => {
        const sock = connect(srv.port, '127.0.0.1', () => {
          sock.destroy();
          resolve('connected');
        });
        sock.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    for (const d of devices) d.faults.add({ id: 'r', kind: 'refuse' }, d.now());
    await waitFor(
      'ECONNREFUSED',
      async () => ((await attempt()) === 'ECONNREFUSED' ? true : undefined),
      5000,
    );
    for (const d of devices) d.faults.clear();
    await waitFor(
      'listening again',
      async () => ((await attempt()) === 'connected' ? true : undefined),
      5000,
    );
    const ok = await rawExchange(srv.port, mbap(1, 1, [4, 0, 0, 0, 2]));
    expect(ok.data.length).toBe(13);
  });

  it('a storm of random bytes on many connections leaves the server answering', async () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const junk = Buffer.from(
          Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)),
        );
        // half of them look like MBAP with protocol id 0 and a plausible length
        if (i % 2 === 0 && junk.length > 7) junk.writeUInt32BE(junk.length - 6, 2);
        return new Promise<void>((resolve) => {
          const s = connect(srv.port, '127.0.0.1', () => s.end(junk));
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.resume();
        });
      }),
    );
    const fresh = new ModbusClient();
    await fresh.connectTCP('127.0.0.1', { port: srv.port });
    fresh.setID(1);
    const r = await fresh.readInputRegisters(0, 2);
    await closeClient(fresh);
    expect(r.data).toHaveLength(2);
  });
});
