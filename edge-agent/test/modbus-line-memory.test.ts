/**
 * What a Modbus TCP line keeps after its transactions. modbus-serial (8.0) files every request
 * under its transaction id and never deletes the record, which holds the request's callback and,
 * through the settled promise behind it, the whole reply: left alone, a line kept the last 255
 * replies of each device alive (at 100 devices × 1 Hz, ~0.7 MB/s of old-generation garbage;
 * BENCHMARKS.md, issue 19). The line drops each record when its transaction ends — answered,
 * timed out or failed — and a reply arriving after that is still recognised as late.
 */
import { systemClock } from '@ganzhi/runtime';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModbusEndpoint } from '../src/drivers/modbus/endpoint.js';
import { ModbusLine } from '../src/drivers/modbus/modbus-line.js';
import { logger } from './helpers.js';
import { startTestServer, type TestServer } from './support/tcp-server.js';

/** modbus-serial's table of requests by transaction id (a private field, which is the point here) */
const pending = (c: ModbusRTU) => Object.keys((c as unknown as { _transactions: object })._transactions);

describe('a Modbus TCP line after many transactions', () => {
  let server: TestServer;
  let line: ModbusLine;
  let client: ModbusRTU | undefined;
  const read = (unit: number, timeoutMs = 1000) =>
    line.transaction(unit, timeoutMs, (c) => {
      client = c;
      return c.readHoldingRegisters(10, 2);
    });

  beforeAll(async () => {
    server = await startTestServer();
    line = new ModbusLine({
      endpoint: parseModbusEndpoint(`modbus-tcp://127.0.0.1:${server.port}`, 9600),
      clock: systemClock,
      random: () => 0.5,
      logger,
    });
  });
  afterAll(async () => {
    await line.close();
    await server.close();
  });

  it('keeps no record of 600 answered requests (more than the 255 transaction ids)', async () => {
    for (let i = 0; i < 600; i++) expect((await read(1)).data).toEqual([0x0001, 0xe240]);
    expect(client).toBeDefined();
    expect(pending(client!)).toEqual([]);
  });

  it('keeps no record of a timed-out request; the next request gets its own reply', async () => {
    server.units.set(2, false); // unit 2 does not answer (the server holds the request)
    await expect(read(2, 100)).rejects.toThrow(/Timed out/);
    expect(pending(client!)).toEqual([]);
    server.units.delete(2);
    // the next request is answered with its own reply
    expect((await read(1)).data).toEqual([0x0001, 0xe240]);
    expect(pending(client!)).toEqual([]);
    expect(line.counters.foreignReplies).toBe(0);
  });
});
