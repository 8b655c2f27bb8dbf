/** The SerialDriver on an in-memory stream: what refused weather lines (STX/ETX checksum) do to readings. */
import { PassThrough } from 'node:stream';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { describe, expect, it } from 'vitest';
import { stxEtxChecksum } from '../src/drivers/serial/frame-parser.js';
import { SerialDriver } from '../src/drivers/serial/serial-driver.js';
import { context, serialSpec } from './helpers.js';

const profile = ProfileRegistry.builtin().get('weather-ascii')!;
const body = (press: string) => `Q,021,000.01,090,${press},041,+022.0,+008.5,+05.1,0004,`;
const good = (press: string) => `\x02${body(press)}\x03${stxEtxChecksum(body(press))}\r\n`;
/** the pressure altered in transit after the checksum was computed */
const altered = (press: string) => good(press).replace(press, '0999.9');
const tick = () => new Promise((r) => setImmediate(r));

async function driverOn(stream: PassThrough): Promise<SerialDriver> {
  const d = new SerialDriver(
    serialSpec('serial-tcp://127.0.0.1:9', {
      id: 'wx',
      profile,
      points: profile.points,
      pollIntervalMs: 60_000,
    }),
    context(),
    async () => stream,
  );
  await d.connect();
  return d;
}

describe('SerialDriver, refused frames', () => {
  it('a line with a wrong checksum makes every point of it bad "checksum" at once', async () => {
    const stream = new PassThrough();
    const d = await driverOn(stream);
    try {
      stream.write(altered('1015.3'));
      await tick();
      const rs = await d.read();
      expect(rs.map((r) => r.point).sort()).toEqual(profile.points.map((p) => p.name).sort());
      for (const r of rs) expect(r).toMatchObject({ quality: 'bad', reason: 'checksum', value: null });
      expect(d.frames).toEqual({ ok: 0, checksumFailed: 1 });
      expect(d.status().lastError).toBe('checksum');
    } finally {
      await d.close();
    }
  });

  it('a good value since the previous read wins over a later refused line; the next read is bad', async () => {
    const stream = new PassThrough();
    const d = await driverOn(stream);
    try {
      stream.write(good('1015.3'));
      stream.write(altered('1015.3'));
      await tick();
      const first = await d.read();
      expect(first.find((r) => r.point === 'pressure')).toMatchObject({ quality: 'good', value: 1015.3 });
      stream.write(altered('1015.3'));
      await tick();
      const second = await d.read();
      expect(second.find((r) => r.point === 'pressure')).toMatchObject({
        quality: 'bad',
        reason: 'checksum',
      });
      stream.write(good('1016.0'));
      await tick();
      expect((await d.read()).find((r) => r.point === 'pressure')).toMatchObject({
        quality: 'good',
        value: 1016,
      });
    } finally {
      await d.close();
    }
  });

  it('a line cut before its checksum is a bad frame with the reason', async () => {
    const stream = new PassThrough();
    const d = await driverOn(stream);
    try {
      stream.write(`${good('1015.3').slice(0, -5)}\r\n`); // ETX and the checksum lost
      await tick();
      const rs = await d.read();
      expect(rs.find((r) => r.point === 'pressure')).toMatchObject({
        quality: 'bad',
        reason: 'bad frame: no ETX',
      });
    } finally {
      await d.close();
    }
  });
});
