import { describe, expect, it } from 'vitest';
import { crc16Modbus, RtuFramer } from './rtu-framer.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const frames = (evs: ReturnType<RtuFramer['push']>) =>
  evs.map((e) => (e.kind === 'skipped' ? `skip ${e.bytes}` : `${e.kind} ${e.frame.toString('hex')}`));

describe('RtuFramer', () => {
  it('checks CRCs the way published examples have them', () => {
    // Simply Modbus, "Modbus Function Code 03" (simplymodbus.ca/FC03.htm): request
    // 11 03 006B 0003 7687, response 11 03 06 AE41 5652 4340 49AD
    expect(crc16Modbus(hex('11 03 00 6B 00 03'))).toBe(0x8776);
    expect(crc16Modbus(hex('11 03 06 AE 41 56 52 43 40'))).toBe(0xad49);
    // the reply libmodbus' unit-test-server gives to a read of UT_REGISTERS_NB_SPECIAL (2)
    // registers: one register, a valid CRC (issue 20)
    expect(crc16Modbus(hex('11 03 02 00 00'))).toBe(0x8779);
  });

  it("cuts by the reply's own byte count, also when it is not what the request asked", () => {
    const f = new RtuFramer();
    f.expecting = { unit: 0x11, fc: 3 };
    // the short reply, then the next reply in the same chunk: two frames, not one 9-byte "CRC error"
    expect(frames(f.push(hex('11 03 02 00 00 79 87  11 03 06 AE 41 56 52 43 40 49 AD')))).toEqual([
      'frame 11030200007987',
      'frame 110306ae415652434049ad',
    ]);
    expect(f.pending).toBe(0);
  });

  it('waits for a frame that arrives a byte at a time', () => {
    const f = new RtuFramer();
    const bytes = hex('11 03 06 AE 41 56 52 43 40 49 AD');
    const out: string[] = [];
    for (const b of bytes) out.push(...frames(f.push(Buffer.from([b]))));
    expect(out).toEqual(['frame 110306ae415652434049ad']);
  });

  it('a wrong CRC on the expected header is crc; noise before a frame is skipped', () => {
    const f = new RtuFramer();
    f.expecting = { unit: 0x11, fc: 3 };
    expect(frames(f.push(hex('11 03 02 00 00 79 88')))).toEqual(['crc 11030200007988']);
    f.expecting = undefined;
    expect(frames(f.push(hex('00 FF 7E  11 83 06 C0 F7')))).toEqual(['skip 3', 'frame 118306c0f7']);
  });

  it('an exception frame is five bytes (function | 0x80, code)', () => {
    const f = new RtuFramer();
    expect(frames(f.push(hex('11 83 06 C0 F7 12 03 02 00 00 3D 87')))).toEqual([
      'frame 118306c0f7',
      'frame 12030200003d87',
    ]);
  });
});
