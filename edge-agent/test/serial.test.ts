/** Serial driver on a socat pty pair (serial://) and over TCP (serial-tcp://) with the builtin gps-nmea profile. */
import { createServer, type Server, type Socket } from 'node:net';
import { type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test-support/process.js';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import type { Driver, DriverReading } from '../src/drivers/driver.js';
import { nmeaChecksum } from '../src/drivers/serial/frame-parser.js';
import { createSerialDriver } from '../src/drivers/serial/index.js';
import { context, serialSpec } from './helpers.js';

const sentence = (body: string) => `$${body}*${nmeaChecksum(body)}\r\n`;
const GGA = (alt: number) =>
  sentence(`GPGGA,123519,3954.4440,N,11623.4680,E,1,09,0.9,${alt.toFixed(1)},M,-8.0,M,,`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gpsProfile(): Profile {
  const p = ProfileRegistry.builtin().get('gps-nmea');
  if (!p) throw new Error('builtin profile gps-nmea missing');
  // the device "talks" every 50 ms in these tests, so staleness (3 × max(poll, interval)) is short
  return { ...p, serial: { ...p.serial!, intervalMs: 50 } };
}

async function readUntil(
  d: Driver,
  ok: (rs: DriverReading[]) => boolean,
  what: string,
): Promise<DriverReading[]> {
  return waitFor(
    what,
    async () => {
      const rs = await d.read();
      return ok(rs) ? rs : undefined;
    },
    5000,
    50,
  );
}

const byPoint = (rs: DriverReading[]) => Object.fromEntries(rs.map((r) => [r.point, r]));
const socat = socatPeer();

describe.skipIf(!socat.ok)('serial driver on a pty', () => {
  let pty: PtyPair;
  let dev: SerialPort;
  beforeAll(async () => {
    pty = await ptyPair();
    dev = new SerialPort({ path: pty.b, baudRate: 9600, autoOpen: false });
    await new Promise<void>((res, rej) => dev.open((e) => (e ? rej(e) : res())));
  });
  afterAll(async () => {
    await new Promise<void>((res) => (dev.isOpen ? dev.close(() => res()) : res()));
    await pty.close();
  });

  it('decodes sentences through garbage and partial lines; only corrupted sentences → bad "checksum"', async () => {
    const profile = gpsProfile();
    const d = createSerialDriver(
      serialSpec(`serial://${pty.a}?baud=9600`, { profile, points: profile.points, pollIntervalMs: 50 }),
      context(),
    );
    await d.connect();
    let alt = 100;
    let mode: 'talk' | 'corrupt' = 'talk';
    const talker = setInterval(() => {
      dev.write(`\u0000\u00ffgarbage${GGA(alt).slice(0, 20)}`); // partial sentence, no line end
      dev.write(GGA(alt).replace('3954', '3955')); // checksum failure
      if (mode === 'talk') dev.write(GGA(alt));
      alt += 1;
    }, 50);
    try {
      const rs = await readUntil(d, (r) => byPoint(r).altitude?.quality === 'good', 'a good altitude');
      const r = byPoint(rs);
      expect(r.latitude?.value).toBeCloseTo(39 + 54.444 / 60, 5);
      expect(r.longitude?.value).toBeCloseTo(116 + 23.468 / 60, 5);
      expect(r.satellites).toMatchObject({ value: 9, quality: 'good' });
      expect(Number(r.altitude?.value)).toBeGreaterThanOrEqual(100);
      mode = 'corrupt';
      const bad = await readUntil(
        d,
        (x) => x.length > 0 && x.every((y) => y.quality === 'bad'),
        'bad quality',
      );
      expect(bad[0]?.reason).toBe('checksum');
      mode = 'talk';
      await readUntil(d, (x) => byPoint(x).altitude?.quality === 'good', 'recovery');
    } finally {
      clearInterval(talker);
      await d.close();
    }
  });
});

describe('serial driver over TCP (serial-tcp://)', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reports a dropped connection as bad quality and reconnects by itself', async () => {
    const profile = gpsProfile();
    const d = createSerialDriver(
      serialSpec(`serial-tcp://127.0.0.1:${port}`, { profile, points: profile.points, pollIntervalMs: 50 }),
      context({ random: () => 0 }),
    );
    const talker = setInterval(() => {
      for (const s of sockets) s.write(GGA(42));
    }, 30);
    try {
      await d.connect();
      await readUntil(d, (x) => byPoint(x).altitude?.value === 42, 'first fix');
      for (const s of sockets) s.destroy();
      const down = await readUntil(
        d,
        (x) => x.length > 0 && x.every((y) => y.quality === 'bad'),
        'bad quality',
      );
      expect(down[0]?.reason).toMatch(/^connection: /);
      expect(d.status().state).toBe('down');
      await sleep(50);
      await readUntil(d, (x) => byPoint(x).altitude?.quality === 'good', 'reconnect');
      expect(d.status().counters.reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      clearInterval(talker);
      await d.close();
    }
  });
});
