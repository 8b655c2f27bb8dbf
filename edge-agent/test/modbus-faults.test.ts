/**
 * What the agent says about each Modbus fault — one test per row of edge-agent/README.md's
 * failure table — against a FAKE fault-injection server re-creating libmodbus'
 * `unit-test-server` special replies (support/unit-test-peer.ts: short reply with a valid CRC,
 * exception 06, a reply from another slave / with a transaction id never sent, a reply 500 ms
 * late, a reply one byte every 5 ms), over Modbus TCP, RTU over TCP and RTU on a socat pty.
 * After each fault the healthy read on the same line must be good again (nothing left over
 * to desynchronise the next reply).
 *
 * And the connection-drop policy on a shared Modbus TCP connection: a slow unit (500 ms
 * replies, 300 ms timeout) must cost its healthy neighbour no reading and no reconnect (its
 * late replies are recognised by transaction id and discarded); one dead unit must not drop
 * the connection; silence from two units must (a half-open socket).
 */
import type { Profile } from '@ganzhi/device-profiles';
import { systemClock } from '@ganzhi/runtime';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { parseModbusEndpoint } from '../src/drivers/modbus/endpoint.js';
import { ModbusDriver } from '../src/drivers/modbus/modbus-driver.js';
import { ModbusLine } from '../src/drivers/modbus/modbus-line.js';
import type { ModbusDeviceSpec } from '../src/drivers/modbus/options.js';
import { context, logger, modbusSpec } from './helpers.js';
import { startUnitTestPeer, type UnitTestPeer, UT } from './support/unit-test-peer.js';

const socat = socatPeer();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A profile with one holding-register point per address (uint16 each, or one uint32). */
function profile(points: { name: string; address: number; wide?: boolean }[]): Profile {
  return {
    id: 'ut-peer',
    version: '1.0.0',
    manufacturer: 'libmodbus',
    model: 'unit-test-server (re-created)',
    measurement: 'ut',
    protocol: 'modbus',
    modbus: { maxGap: 0 },
    points: points.map((p) => ({
      name: p.name,
      unit: '1',
      type: 'integer',
      modbus: { table: 'holding', address: p.address, type: p.wide ? 'uint32' : 'uint16' },
    })),
  } as Profile;
}

const ROWS = {
  healthy: profile([{ name: 'r0', address: UT.REGISTERS_ADDRESS }]),
  short: profile([{ name: 'r01', address: UT.REGISTERS_ADDRESS, wide: true }]),
  busy: profile([{ name: 'special', address: UT.ADDRESS_SPECIAL }]),
  otherSlave: profile([{ name: 'invalid', address: UT.ADDRESS_INVALID_TID_OR_SLAVE }]),
  slow: profile([{ name: 'sleep', address: UT.ADDRESS_SLEEP_500_MS }]),
  bytewise: profile([{ name: 'bytes', address: UT.ADDRESS_BYTE_SLEEP_5_MS }]),
  badCrc: profile([{ name: 'crc', address: UT.ADDRESS_BAD_CRC }]),
  wrongFunction: profile([{ name: 'fc', address: UT.ADDRESS_WRONG_FUNCTION }]),
};

type Transport = { name: string; url: () => string; peer: () => UnitTestPeer; rtu: boolean };

function driverOn(
  line: ModbusLine,
  url: string,
  p: Profile,
  over: Partial<Pick<ModbusDeviceSpec, 'unitId' | 'timeoutMs' | 'retries' | 'backoff'>> = {},
) {
  const spec = modbusSpec(url, {
    id: `d-${p.points[0]!.name}-${over.unitId ?? UT.SERVER_ID}`,
    profile: p,
    points: p.points,
    unitId: UT.SERVER_ID,
    ...over,
  });
  return new ModbusDriver(spec, line, context(), async () => undefined);
}

function lineFor(url: string): ModbusLine {
  return new ModbusLine({
    endpoint: parseModbusEndpoint(url, 9600),
    clock: systemClock,
    random: () => 0.5,
    logger,
  });
}

const reasons = (rs: DriverReading[]) => [
  ...new Set(rs.map((r) => (r.quality === 'good' ? 'good' : r.reason))),
];

function faultTable(t: Transport) {
  describe(`${t.name}: each fault as the README's table names it`, () => {
    let line: ModbusLine;
    let healthy: ModbusDriver;
    beforeAll(() => {
      line = lineFor(t.url());
      healthy = driverOn(line, t.url(), ROWS.healthy);
    });
    afterAll(async () => line.close());

    /** the fault's reason, then the healthy read on the same line is good with the libmodbus value */
    async function row(p: Profile, over: { unitId?: number } = {}) {
      const d = driverOn(line, t.url(), p, over);
      const rs = await d.read();
      const after = await healthy.read();
      expect(after.map((r) => [r.quality, r.value])).toEqual([['good', UT.REGISTERS_TAB[0]]]);
      return reasons(rs);
    }

    it('a healthy read: the register unit-test-server holds', async () => {
      expect((await healthy.read()).map((r) => r.value)).toEqual([0x022b]);
    });
    it('no answer within timeoutMs → timeout', async () => {
      expect(await row(ROWS.healthy, { unitId: 5 })).toEqual(['timeout']);
    });
    it('exception 06 (UT_REGISTERS_ADDRESS_SPECIAL) → modbus exception 06 (slave device busy)', async () => {
      expect(await row(ROWS.busy)).toEqual(['modbus exception 06 (slave device busy)']);
    });
    it('a short reply with a valid CRC (UT_REGISTERS_NB_SPECIAL: one register for two) → bad frame', async () => {
      expect(await row(ROWS.short)).toEqual(['bad frame']);
    });
    it(`a reply from ${t.rtu ? 'another slave' : 'an unknown transaction id'} (UT_REGISTERS_ADDRESS_INVALID_TID_OR_SLAVE) → bad frame`, async () => {
      expect(await row(ROWS.otherSlave)).toEqual(['bad frame']);
      expect(line.counters.foreignReplies).toBeGreaterThanOrEqual(1);
    });
    it('a wrong function code → bad frame', async () => {
      expect(await row(ROWS.wrongFunction)).toEqual(['bad frame']);
    });
    it('a reply 500 ms late (UT_REGISTERS_ADDRESS_SLEEP_500_MS) against a 300 ms timeout → timeout; the late reply is discarded', async () => {
      const before = line.counters.lateReplies;
      expect(await row(ROWS.slow)).toEqual(['timeout']);
      // wait for the late reply, then the healthy unit again: it must not take the late one
      await new Promise((r) => setTimeout(r, 400));
      expect((await healthy.read()).map((r) => [r.quality, r.value])).toEqual([['good', 0x022b]]);
      expect(line.counters.lateReplies).toBe(before + 1);
    });
    it('a reply one byte every 5 ms (UT_REGISTERS_ADDRESS_BYTE_SLEEP_5_MS) → good', async () => {
      expect(await row(ROWS.bytewise)).toEqual(['good']);
    });
    if (t.rtu) {
      it('a CRC error → crc', async () => {
        expect(await row(ROWS.badCrc)).toEqual(['crc']);
      });
    }
    it('the connection stayed up through all of it', () => {
      expect(line.counters.drops).toBe(0);
      expect(line.counters.connects).toBe(1);
    });
  });
}

describe('Modbus faults against the re-created libmodbus unit-test-server', () => {
  let tcp: UnitTestPeer;
  let rtutcp: UnitTestPeer;
  beforeAll(async () => {
    tcp = await startUnitTestPeer('tcp');
    rtutcp = await startUnitTestPeer('rtu');
  });
  afterAll(async () => {
    await tcp?.close();
    await rtutcp?.close();
  });

  faultTable({
    name: 'Modbus TCP',
    url: () => `modbus-tcp://127.0.0.1:${tcp.port}`,
    peer: () => tcp,
    rtu: false,
  });
  faultTable({
    name: 'RTU over TCP',
    url: () => `modbus-rtutcp://127.0.0.1:${rtutcp.port}`,
    peer: () => rtutcp,
    rtu: true,
  });

  describe.skipIf(!socat.ok)('RTU on a pty', () => {
    let pty: PtyPair;
    let port: SerialPort;
    let peer: UnitTestPeer;
    const t = { path: '' };
    beforeAll(async () => {
      pty = await ptyPair();
      t.path = pty.a;
      peer = await startUnitTestPeer('rtu');
      port = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
      await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
      peer.attach(port);
    });
    afterAll(async () => {
      await new Promise<void>((res) => (port?.isOpen ? port.close(() => res()) : res()));
      await peer?.close();
      await pty?.close();
    });
    faultTable({
      name: 'RTU (serial)',
      url: () => `modbus-rtu://${t.path}?baud=9600`,
      peer: () => peer,
      rtu: true,
    });
  });

  it('connection refused → connection: ECONNREFUSED', async () => {
    const closed = await startUnitTestPeer('tcp');
    const url = `modbus-tcp://127.0.0.1:${closed.port}`;
    await closed.close();
    const line = lineFor(url);
    const rs = await driverOn(line, url, ROWS.healthy).read();
    expect(reasons(rs)).toEqual(['connection: ECONNREFUSED']);
    await line.close();
  });

  describe('a shared Modbus TCP connection', () => {
    it('a slow unit (500 ms, timeout 300 ms) costs its healthy neighbour no reading and no reconnect', async () => {
      const url = `modbus-tcp://127.0.0.1:${tcp.port}`;
      const line = lineFor(url);
      // polled every cycle (no backoff), so that its late replies keep coming
      const slow = driverOn(line, url, ROWS.slow, {
        retries: 1,
        backoff: { failures: 1000, initialMs: 1000, maxMs: 1000 },
      });
      const neighbour = driverOn(line, url, profile([{ name: 'n0', address: 0 }]), { unitId: 1, retries: 1 });
      const cycles = 25;
      const got: DriverReading[][] = [];
      let slowCycles = 0;
      let done = false;
      // as the agent runs them: each device its own cycle loop, the line's queue between them
      const slowLoop = (async () => {
        while (!done) {
          await slow.read();
          slowCycles++;
          await sleep(100);
        }
      })();
      for (let i = 0; i < cycles; i++) {
        got.push(await neighbour.read());
        await sleep(100);
      }
      done = true;
      await slowLoop;
      await new Promise((r) => setTimeout(r, 600)); // the last late reply
      expect(got.map(reasons).filter((r) => r.join() !== 'good')).toEqual([]);
      expect(got.flat().map((r) => r.value)).toEqual(Array(cycles).fill(100));
      expect(line.counters.drops).toBe(0);
      expect(line.counters.connects).toBe(1);
      expect(slowCycles).toBeGreaterThan(0);
      // every timed-out request of the slow unit got its late reply, recognised and dropped
      expect(line.counters.lateReplies).toBeGreaterThan(0);
      expect(line.counters.foreignReplies).toBe(0);
      await line.close();
    });

    it('units that never answer do not drop the connection; silence from a unit that answered does (half-open socket)', async () => {
      const url = `modbus-tcp://127.0.0.1:${tcp.port}`;
      const line = lineFor(url);
      const neighbour = driverOn(line, url, profile([{ name: 'n0', address: 0 }]), { unitId: 1, retries: 1 });
      const dead = driverOn(line, url, ROWS.healthy, { unitId: 5, retries: 1 });
      const dead2 = driverOn(line, url, ROWS.healthy, { unitId: 6, retries: 1 });
      expect(reasons(await neighbour.read())).toEqual(['good']);
      // two dead units one after the other: four timeouts in a row, nothing received — but
      // neither ever answered, so they say nothing about the connection
      expect(reasons(await dead.read())).toEqual(['timeout']);
      expect(reasons(await dead2.read())).toEqual(['timeout']);
      expect(line.counters.drops).toBe(0);
      expect(reasons(await neighbour.read())).toEqual(['good']);
      // the server stops answering anything (a hung serial server, a half-open socket): the
      // neighbour, which answered before, and a dead unit both silent → reopened
      tcp.frozen = true;
      try {
        expect(reasons(await neighbour.read())).toEqual(['timeout']);
        expect(line.counters.drops).toBe(0);
        await dead.read();
        expect(line.counters.drops).toBe(1);
      } finally {
        tcp.frozen = false;
      }
      expect(reasons(await neighbour.read())).toEqual(['good']);
      expect(line.counters.connects).toBe(2);
      await line.close();
    });
  });
});
