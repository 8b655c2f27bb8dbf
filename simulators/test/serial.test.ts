import { connect } from 'node:net';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { ManualClock, systemClock } from '@ganzhi/runtime';
import { SerialPort } from 'serialport';
import { afterAll, describe, expect, it } from 'vitest';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import { SimDevice } from '../src/device/sim-device.js';
import { startSerialPortDevice, startSerialTcpDevice } from '../src/serial/emitter.js';
import { parseNmeaAngle } from '../src/serial/format.js';
import { serialFrames } from '../src/serial/frames.js';
import { nmeaChecksum } from '../src/serial/nmea.js';
import { gpsProfile, weatherProfile } from './fixtures/profiles.js';

const T0 = Date.UTC(2026, 5, 1, 8, 30, 15);
const noise = () => 0.37;

function checksumOk(sentence: string): boolean {
  const m = /^\$(.*)\*([0-9A-F]{2})$/.exec(sentence);
  return m !== null && nmeaChecksum(m[1]!) === m[2];
}

describe('NMEA GPS frames', () => {
  it('GGA and RMC with valid checksums; positions parse back to the ground truth', () => {
    const d = new SimDevice({
      id: 'gps',
      profile: gpsProfile,
      clock: new ManualClock(T0),
      signals: {
        latitude: { kind: 'constant', value: 39.904211 },
        longitude: { kind: 'constant', value: -116.407395 },
        satellites: { kind: 'constant', value: 9 },
      },
    });
    const lines = serialFrames(d).emit(T0, noise).toString('latin1').split('\r\n').filter(Boolean);
    expect(lines.map((l) => l.slice(0, 6))).toEqual(['$GPGGA', '$GPRMC']);
    for (const l of lines) expect(checksumOk(l)).toBe(true);
    const gga = lines[0]!.split('*')[0]!.split(',');
    expect(gga[1]).toBe('083015.00');
    const t = d.truth(T0);
    expect(parseNmeaAngle(gga[2]!, gga[3]!)).toBe(t.latitude!.last!.value);
    expect(parseNmeaAngle(gga[4]!, gga[5]!)).toBe(t.longitude!.last!.value);
    expect(gga[5]).toBe('W');
    expect(t.latitude!.last!.value as number).toBeCloseTo(39.904211, 6);
    expect(Number(gga[7])).toBe(9);
    expect(t.satellites!.served).toBe(1);
    const rmc = lines[1]!.split(',');
    expect(rmc[3]).toBe(gga[2]);
  });

  it('an enum point goes out as its code, as a receiver sends it (GGA field 6 of the builtin gps-nmea: 1, not its label)', () => {
    const profile = ProfileRegistry.builtin().get('gps-nmea')!;
    const d = new SimDevice({ id: 'gps', profile, clock: new ManualClock(T0) });
    const gga = serialFrames(d)
      .emit(T0, noise)
      .toString('latin1')
      .split('\r\n')[0]!
      .split('*')[0]!
      .split(',');
    const label = d.truth(T0).fix_quality!.last!.value;
    const enumOf = profile.points.find((p) => p.name === 'fix_quality')!.enum!;
    expect(Object.keys(enumOf)).toContain(gga[6]);
    expect(enumOf[gga[6]!]).toBe(label);
  });

  it('faults: bad checksum, partial line and garbage; corrupted frames are not counted', () => {
    const d = new SimDevice({ id: 'gps', profile: gpsProfile, clock: new ManualClock(T0) });
    const f = serialFrames(d);
    d.faults.add({ id: 'c', kind: 'bad-checksum' }, T0);
    const bad = f.emit(T0, noise).toString('latin1').split('\r\n').filter(Boolean);
    expect(bad.every((l) => !checksumOk(l))).toBe(true);
    expect(d.truth(T0).latitude!.served).toBe(0);
    d.faults.clear();
    d.faults.add({ id: 'p', kind: 'partial-line' }, T0);
    const cut = f.emit(T0, noise).toString('latin1');
    expect(cut.includes('\r\n')).toBe(false);
    d.faults.clear();
    d.faults.add({ id: 'g', kind: 'garbage' }, T0);
    const junk = f.emit(T0, noise);
    expect(junk[0]).not.toBe(0x24);
    expect(junk.toString('latin1')).toContain('$GPGGA');
    expect(d.truth(T0).latitude!.served).toBe(1);
    d.faults.clear();
    d.faults.add({ id: 's', kind: 'clock-skew', ms: -3_600_000 }, T0);
    const skewed = f.emit(T0, noise).toString('latin1');
    expect(skewed.slice(7, 13)).toBe('073015');
  });
});

describe('serial device on raw TCP (serial device server mode)', () => {
  it('streams weather lines every interval; columns equal the ground truth', async () => {
    const d = new SimDevice({
      id: 'wx',
      profile: weatherProfile,
      clock: systemClock,
      signals: { temperature: { kind: 'constant', value: -4.25 }, humidity: { kind: 'constant', value: 61 } },
    });
    const l = await startSerialTcpDevice({ device: d, port: 0, intervalMs: 30 });
    const text = await new Promise<string>((resolve) => {
      let b = '';
      const s = connect(l.port, '127.0.0.1');
      s.on('data', (c) => {
        b += c.toString('latin1');
        if (b.split('\r\n').length > 3) {
          s.destroy();
          resolve(b);
        }
      });
    });
    await l.close();
    const lines = text.split('\r\n').slice(0, 3);
    for (const line of lines) {
      const cols = line.split(',');
      expect(cols[0]).toBe('WX');
      expect(Number(cols[1])).toBe(d.truth().temperature!.last!.value);
      expect(Number(cols[2])).toBe(61);
    }
    expect(d.truth().temperature!.served).toBeGreaterThanOrEqual(3);
  });
});

const socat = socatPeer();
describe.skipIf(!socat.ok)('serial device on a pty', () => {
  let pty: PtyPair | undefined;
  afterAll(() => pty?.close());
  it('NMEA sentences arrive on the other end with valid checksums', async () => {
    pty = await ptyPair();
    const d = new SimDevice({ id: 'gps', profile: gpsProfile, clock: systemClock });
    const dev = await startSerialPortDevice({ device: d, path: pty.a, intervalMs: 30 });
    const reader = new SerialPort({ path: pty.b, baudRate: 9600 });
    const text = await new Promise<string>((resolve) => {
      let b = '';
      reader.on('data', (c: Buffer) => {
        b += c.toString('latin1');
        if (b.split('\r\n').length > 4) resolve(b);
      });
    });
    await new Promise<void>((r) => reader.close(() => r()));
    await dev.close();
    const lines = text.split('\r\n').slice(1, 4); // the first may be cut by the reader opening late
    for (const l of lines) expect(checksumOk(l)).toBe(true);
  });
});
