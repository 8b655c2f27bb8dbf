/**
 * The HJ 212 listener and driver: the simulated data logger (simulators/src/hj212) connecting
 * over real TCP, and hand-built packets for what the logger does not do. Values and DataTime
 * equal what the logger sent; the 9014 acknowledgement goes out only after the readings were
 * accepted; a re-sent packet produces no second reading; -Flag markers become quality; the
 * time zone is the device's; and every trust boundary holds: unknown MN, wrong password (never
 * logged), garbage and silence before authentication, split packets.
 */
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { hj212 } from '@ganzhi/device-profiles';
import { type Hj212DataLogger, startHj212Logger } from '@ganzhi/simulators';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/process.js';
import { MemorySink } from '../src/acquisition/sink.js';
import { Agent } from '../src/agent.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { Hj212Driver } from '../src/drivers/hj212/hj212-driver.js';
import { Hj212Listener } from '../src/drivers/hj212/listener.js';
import { context, logger } from './helpers.js';
import { hj212Spec, simDevice } from './support/national.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(
  what: string,
  f: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(25);
  }
}

/** Reads until a read returns something (a push driver: packets arrive between reads). */
async function readSome(d: Hj212Driver, ms = 15_000): Promise<DriverReading[]> {
  const end = Date.now() + ms;
  for (;;) {
    const rs = await d.read();
    if (rs.length > 0) return rs;
    if (Date.now() > end) throw new Error('timed out: no readings');
    await sleep(25);
  }
}

const MN = '88888880000001';
const PW = 'pw-7f3a9';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A listener and one driver on it, on a free port, with a log we can read. */
async function station(
  over: Parameters<typeof hj212Spec>[3] = {},
  listenerOver: { authTimeoutMs?: number } = {},
) {
  const port = await freePort();
  const lines: string[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const ctx = context({ logger: log });
  const listener = new Hj212Listener({
    host: '127.0.0.1',
    port,
    clock: ctx.clock,
    logger: log,
    ...listenerOver,
  });
  const spec = hj212Spec(`hj212://127.0.0.1:${port}`, MN, PW, { pollIntervalMs: 100, ...over });
  const driver = new Hj212Driver(spec, listener, ctx, () => listener.close());
  await driver.connect();
  cleanup.push(() => driver.close());
  return { port, driver, listener, lines };
}

/** A raw TCP client playing a logger: sends whole packets, collects the platform's packets. */
async function client(port: number) {
  const sock: Socket = await new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  sock.on('error', () => undefined);
  const got: hj212.Segment[] = [];
  const deframer = new hj212.Hj212Deframer();
  let closed = false;
  sock.on('close', () => {
    closed = true;
  });
  sock.on('data', (c) => {
    for (const r of deframer.push(c)) {
      const s = r.ok ? hj212.parseSegment(r.frame.segment) : undefined;
      if (s?.ok) got.push(s.segment);
    }
  });
  cleanup.push(() => sock.destroy());
  const send = (seg: Partial<hj212.SegmentInput> & { cp: string }, extra = '') =>
    sock.write(
      hj212.encodePacket(
        hj212
          .buildSegment({ qn: '20250601120000001', st: '22', cn: '2011', pw: PW, mn: MN, flag: 5, ...seg })
          .replace(';CP=', `${extra};CP=`),
      ),
    );
  return { sock, got, send, closed: () => closed };
}

const byPoint = (rs: DriverReading[]) => Object.fromEntries(rs.map((r) => [r.point, r]));

describe('HJ 212 with the simulated data logger', () => {
  function logger212(
    port: number,
    over: Partial<Parameters<typeof startHj212Logger>[0]> = {},
  ): Hj212DataLogger {
    const l = startHj212Logger({
      device: simDevice('aq', 'hj212-air-quality-station', 5),
      port,
      mn: MN,
      pw: PW,
      intervalMs: 1000,
      ackTimeoutMs: 600,
      reconnectMs: 200,
      ...over,
    });
    cleanup.push(() => l.stop());
    return l;
  }

  it('stores what the logger sent, at its DataTime, once each, and acknowledges after delivery', async () => {
    const port = await freePort();
    const sink = new MemorySink();
    const spec = hj212Spec(`hj212://127.0.0.1:${port}`, MN, PW, { id: 'aq', pollIntervalMs: 200 });
    const agent = await Agent.create({ devices: [spec], sink, logger });
    await agent.start();
    cleanup.push(() => agent.stop());
    const l = logger212(port, { ackTimeoutMs: 5000 }); // acks come within a poll (200 ms): no re-sends
    // `acked` counts every CN: a minute boundary adds a CN 2051 packet (the minute averages), so
    // wait for four real-time (CN 2011) packets and for every packet sent so far to be acknowledged
    const realTime = () => l.journal.filter((p) => p.cn === '2011');
    await until(
      'four real-time packets sent, and everything sent acknowledged',
      () => realTime().length >= 4 && l.counts.acked === l.journal.length,
    );
    const sent = realTime();
    await agent.stop();
    const readings = sink.readings('aq').filter((r) => r.quality !== 'bad');
    expect(sent.length).toBeGreaterThanOrEqual(4);
    // every acknowledged real-time packet's values are in the sink exactly once, at its DataTime
    for (const p of sent) {
      for (const [point, value] of Object.entries(p.values)) {
        const at = readings.filter((r) => r.point === point && r.ts === p.ts);
        expect(at, `${point} @ ${p.dataTime}`).toHaveLength(1);
        expect(at[0]?.value).toBe(value);
        expect(at[0]?.quality).toBe('good');
      }
    }
    expect(l.counts.resent).toBe(0);
    const st = agent.devices[0]!.driver.status();
    expect(st.counters).toMatchObject({ duplicates: 0, authFailures: 0, packetsRefused: 0 });
    expect((st.counters as unknown as { acks: number }).acks).toBe(l.counts.acked);
  });

  it('does not acknowledge readings the buffer did not accept: the logger sends them again, stored once', async () => {
    const { port, driver } = await station();
    const l = logger212(port, { intervalMs: 60_000 }); // one packet, at the first tick
    await until('connected', () => l.counts.connects > 0);
    (l as unknown as { tick(): void }).tick();
    const first = await readSome(driver);
    // no delivered(): as if the sink had refused the batch (disk full) — no ack, the logger re-sends
    await until('re-sent', () => l.counts.resent >= 1);
    const again = await readSome(driver);
    expect(again.map((r) => [r.point, r.value, r.ts])).toEqual(first.map((r) => [r.point, r.value, r.ts]));
    expect(l.counts.acked).toBe(0);
    driver.delivered();
    await until('acknowledged', () => l.counts.acked === 1);
    // a re-send now is a duplicate: acknowledged again, no readings
    await sleep(700);
    expect((await driver.read()).filter((r) => r.quality !== 'bad')).toEqual([]);
  });

  it('a packet re-sent while the first copy waits for the buffer: one set of readings, both acknowledged', async () => {
    const { port, driver } = await station();
    const l = logger212(port, { intervalMs: 60_000, ackTimeoutMs: 200 });
    await until('connected', () => l.counts.connects > 0);
    (l as unknown as { tick(): void }).tick();
    await until('re-sent twice', () => l.counts.resent >= 2);
    const rs = await driver.read();
    expect(rs.length).toBe(l.journal[0] ? Object.keys(l.journal[0].values).length : -1);
    driver.delivered();
    await until('acknowledged', () => l.counts.acked >= 1);
    expect(driver.status().counters).toMatchObject({ duplicates: l.counts.resent });
  });

  it('a wrong password: every packet refused, counted, the connection closed, the password never logged', async () => {
    const { port, driver, listener, lines } = await station();
    const l = logger212(port, { pw: 'wrong-pw', intervalMs: 60_000 });
    await until('connected', () => l.counts.connects > 0);
    (l as unknown as { tick(): void }).tick();
    await until('refused', () => listener.counters.badPassword >= 1);
    expect((await driver.read()).filter((r) => r.quality !== 'bad')).toEqual([]);
    expect(driver.status()).toMatchObject({
      lastError: 'authentication: wrong password (1 packets refused)',
      counters: { authFailures: 1 },
    });
    expect(l.counts.acked).toBe(0);
    const log = lines.join('');
    expect(log).toMatch(/wrong password for this MN/);
    expect(log).not.toContain('wrong-pw');
    expect(log).not.toContain(PW);
  });

  it('a PW too long for the standard is refused as malformed, and not quoted in the log either', async () => {
    const { port, listener, lines, driver } = await station();
    const c = await client(port);
    c.send({ pw: 'secret-too-long', cp: 'DataTime=20250601120000;a34004-Rtd=1' });
    await until('refused', () => listener.counters.refusedUnauthenticated >= 1);
    expect(lines.join('')).toMatch(/segment: PW=\*\*\* is malformed/);
    expect(lines.join('')).not.toContain('secret-too-long');
    expect((await driver.read()).filter((r) => r.quality !== 'bad')).toEqual([]);
  });
});

describe('HJ 212 packets built by hand', () => {
  it('maps -Flag markers to quality and keeps DataTime in the configured time zone', async () => {
    const { port, driver } = await station({ tzOffsetMinutes: 0 });
    const c = await client(port);
    const cp =
      'DataTime=20250601120000;a34004-Rtd=35.5,a34004-Flag=N;a34002-Rtd=80,a34002-Flag=D;' +
      'a21026-Rtd=9,a21026-Flag=S;a21004-Rtd=22,a21004-Flag=T;a21005-Rtd=0.8,a21005-Flag=M;' +
      'a05024-Rtd=abc,a05024-Flag=N;x99999-Rtd=1';
    c.send({ cp });
    const rs = await readSome(driver);
    const r = byPoint(rs);
    const ts = Date.UTC(2025, 5, 1, 12, 0, 0);
    expect(r.pm25).toMatchObject({ value: 35.5, quality: 'good', ts });
    expect(r.pm10).toMatchObject({ value: 80, quality: 'bad', reason: 'flag D: fault (故障)', ts });
    expect(r.so2).toMatchObject({
      value: 9,
      quality: 'uncertain',
      reason: 'flag S: manual input (手工输入)',
    });
    expect(r.no2).toMatchObject({
      quality: 'uncertain',
      reason: 'flag T: over the upper measurement limit (超测上限)',
    });
    expect(r.co).toMatchObject({ quality: 'bad', reason: 'flag M: maintenance (维护)' });
    expect(r.o3).toMatchObject({ value: null, quality: 'bad', reason: 'not a number: "abc"' });
    expect(Object.keys(r).sort()).toEqual(['co', 'no2', 'o3', 'pm10', 'pm25', 'so2']);
    driver.delivered();
    await until('ack', () => c.got.length === 1);
    expect(c.got[0]).toMatchObject({ cn: '9014', st: '91', qn: '20250601120000001', mn: MN, flag: 4 });
  });

  it('DataTime of a logger on China Standard Time (the default) is 8 h before the same text in UTC', async () => {
    const { port, driver } = await station();
    const c = await client(port);
    c.send({ cp: 'DataTime=20250601120000;a34004-Rtd=1' });
    const rs = await readSome(driver);
    expect(rs[0]?.ts).toBe(Date.UTC(2025, 5, 1, 4, 0, 0));
  });

  it('a DataTime far ahead of the gateway clock makes good values uncertain', async () => {
    const { port, driver } = await station({ tzOffsetMinutes: 0, maxClockSkewMs: 60_000 });
    const c = await client(port);
    const ahead = hj212.epochToDataTime(Date.now() + 3_600_000, 0);
    c.send({ cp: `DataTime=${ahead};a34004-Rtd=1` });
    const rs = await readSome(driver);
    expect(rs[0]).toMatchObject({
      quality: 'uncertain',
      reason: expect.stringMatching(/^clock: DataTime 3\d{3} s ahead/),
    });
  });

  it('joins a split upload (PNUM/PNO, Flag bit D) by its QN and acknowledges it', async () => {
    const { port, driver } = await station({ tzOffsetMinutes: 0 });
    const c = await client(port);
    c.send({ flag: 7, cp: 'DataTime=20250601120000;a34004-Rtd=12' }, ';PNUM=2;PNO=2');
    await sleep(100);
    expect((await driver.read()).filter((r) => r.quality !== 'bad')).toEqual([]);
    c.send({ flag: 7, cp: 'DataTime=20250601120000;a34002-Rtd=34' }, ';PNUM=2;PNO=1');
    const rs = await readSome(driver);
    expect(byPoint(rs)).toMatchObject({ pm25: { value: 12 }, pm10: { value: 34 } });
    driver.delivered();
    await until('acks', () => c.got.length === 2);
  });

  it('a packet with a wrong CRC is refused and not acknowledged; the good one after it is read', async () => {
    const { port, driver } = await station({ tzOffsetMinutes: 0 });
    const c = await client(port);
    c.send({ cp: 'DataTime=20250601120000;a34004-Rtd=1' }); // authenticates the connection
    const bad = hj212.encodePacket(
      hj212.buildSegment({
        qn: '20250601120001000',
        st: '22',
        cn: '2011',
        pw: PW,
        mn: MN,
        flag: 5,
        cp: 'DataTime=20250601120001;a34004-Rtd=2',
      }),
    );
    bad[bad.length - 3] = bad[bad.length - 3] === 0x30 ? 0x31 : 0x30;
    c.sock.write(bad);
    c.send({ qn: '20250601120002000', cp: 'DataTime=20250601120002;a34004-Rtd=3' });
    const got: DriverReading[] = [];
    await until('two readings', async () => {
      got.push(...(await driver.read()));
      return got.length >= 2;
    });
    expect(got.map((r) => r.value)).toEqual([1, 3]);
    expect(driver.status().counters).toMatchObject({ packetsRefused: 1 });
  });

  it('a notice that is not monitoring data is acknowledged at once and stores nothing', async () => {
    const { port, driver } = await station();
    const c = await client(port);
    c.send({ cn: '2081', cp: 'DataTime=20250601120000;RestartTime=20250601115900' });
    await until('ack', () => c.got.length === 1);
    expect((await driver.read()).filter((r) => r.quality !== 'bad')).toEqual([]);
  });
});

describe('HJ 212 listener as a trust boundary', () => {
  it('an unknown MN: refused, connection closed, counted, logged once a minute however often', async () => {
    const { port, listener, lines, driver } = await station();
    for (let i = 0; i < 3; i++) {
      const c = await client(port);
      c.send({ mn: 'ATTACKER-0001', pw: 'guess', cp: 'DataTime=20250601120000;a34004-Rtd=999' });
      await until('closed', () => c.closed());
    }
    expect(listener.counters.unknownMn).toBe(3);
    expect(lines.filter((l) => l.includes('unknown MN')).length).toBe(1);
    expect(lines.join('')).not.toContain('guess');
    expect((await driver.read()).filter((r) => r.quality !== 'bad')).toEqual([]);
  });

  it('one logger cannot speak for another: a packet with the other MN needs the other password', async () => {
    const { port, driver } = await station();
    const c = await client(port);
    c.send({ cp: 'DataTime=20250601120000;a34004-Rtd=1' });
    await until('read', async () => (await driver.read()).length > 0);
    c.send({ mn: '88888880000002', cp: 'DataTime=20250601120001;a34004-Rtd=2' }); // not configured here
    await until('closed', () => c.closed());
  });

  it('garbage before any authenticated packet closes the connection; so does silence', async () => {
    const { port, listener } = await station({}, { authTimeoutMs: 300 });
    const noisy = await client(port);
    noisy.sock.write(Buffer.alloc(20_000, 0x41));
    await until('garbage connection closed', () => noisy.closed());
    const quiet = await client(port);
    await until('silent connection closed', () => quiet.closed(), 5000);
    expect(listener.counters.closedUnauthenticated).toBe(2);
  });

  it('an oversized length field or a truncated packet never yields readings', async () => {
    const { port, driver } = await station();
    const c = await client(port);
    c.send({ cp: 'DataTime=20250601120000;a34004-Rtd=1' });
    c.sock.write('##9999QN=1;');
    c.sock.write(hj212.encodePacket('QN=20250601120000001;ST=22;CN=2011;PW=x').subarray(0, 20));
    const got: DriverReading[] = [];
    await sleep(200);
    got.push(...(await driver.read()));
    expect(got.map((r) => r.value)).toEqual([1]);
    expect(driver.status().counters).toMatchObject({ packetsRefused: 1 });
  });
});
