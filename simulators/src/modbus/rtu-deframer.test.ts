import { describe, expect, it } from 'vitest';
import { crc16, withCrc } from './crc16.js';
import { RtuDeframer } from './rtu-deframer.js';

describe('CRC-16/MODBUS and RTU deframing', () => {
  it('crc of the spec example (01 03 00 00 00 01 → 84 0A)', () => {
    const f = withCrc(Buffer.from([1, 3, 0, 0, 0, 1]));
    expect([...f.subarray(6)]).toEqual([0x84, 0x0a]);
    expect(crc16(Buffer.from('123456789'))).toBe(0x4b37);
  });

  it('splits back-to-back frames, waits for partial ones, and resynchronises after noise', () => {
    const d = new RtuDeframer();
    const a = withCrc(Buffer.from([1, 3, 0, 0, 0, 2]));
    const b = withCrc(Buffer.from([2, 16, 0, 0, 0, 1, 2, 0, 7]));
    expect(d.push(Buffer.concat([a, b.subarray(0, 5)]))).toEqual([a]);
    expect(d.push(b.subarray(5))).toEqual([b]);
    expect(d.push(Buffer.concat([Buffer.from([0x13, 0x03, 0xff]), a]))).toEqual([a]);
    expect(d.discarded).toBe(3);
  });

  it('unknown function codes wait for idle: valid CRC → frame, else noise', () => {
    const d = new RtuDeframer();
    const f = withCrc(Buffer.from([1, 0x2b, 0x0e, 1, 0]));
    expect(d.push(f)).toEqual([]);
    expect(d.idle()).toEqual(f);
    d.push(Buffer.from([1, 0x2b, 9, 9, 9]));
    expect(d.idle()).toBeUndefined();
  });
});
