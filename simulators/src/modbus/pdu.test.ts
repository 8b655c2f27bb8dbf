import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handlePdu, type ModbusUnit } from './pdu.js';
import { RtuDeframer } from './rtu-deframer.js';

/** A fake unit for fault-free PDU tests: 100 registers and bits, all addresses valid. */
const fakeUnit: ModbusUnit = {
  readBits: (_t, a, n) => (a + n > 100 ? 2 : Array.from({ length: n }, (_, i) => (a + i) % 3 === 0)),
  readRegisters: (_t, a, n) => (a + n > 100 ? 2 : Array.from({ length: n }, (_, i) => a + i)),
  writeBits: (a, v) => (a + v.length > 100 ? 2 : undefined),
  writeRegisters: (a, v) => (a + v.length > 100 ? 2 : undefined),
};

describe('Modbus PDU handling', () => {
  it('reads and writes per the specification', () => {
    expect([...handlePdu(fakeUnit, Buffer.from([3, 0, 10, 0, 2]))]).toEqual([3, 4, 0, 10, 0, 11]);
    expect([...handlePdu(fakeUnit, Buffer.from([1, 0, 0, 0, 10]))]).toEqual([1, 2, 0b01001001, 0b10]);
    expect([...handlePdu(fakeUnit, Buffer.from([5, 0, 1, 0xff, 0]))]).toEqual([5, 0, 1, 0xff, 0]);
    expect([...handlePdu(fakeUnit, Buffer.from([5, 0, 1, 0x12, 0]))]).toEqual([0x85, 3]);
    expect([...handlePdu(fakeUnit, Buffer.from([16, 0, 1, 0, 2, 4, 0, 1, 0, 2]))]).toEqual([16, 0, 1, 0, 2]);
    expect([...handlePdu(fakeUnit, Buffer.from([15, 0, 1, 0, 9, 2, 0xff, 1]))]).toEqual([15, 0, 1, 0, 9]);
    expect([...handlePdu(fakeUnit, Buffer.from([4, 0, 99, 0, 2]))]).toEqual([0x84, 2]);
    expect([...handlePdu(fakeUnit, Buffer.from([4, 0, 0, 0, 126]))]).toEqual([0x84, 3]);
    expect([...handlePdu(fakeUnit, Buffer.from([2, 0, 0, 0x07, 0xd1]))]).toEqual([0x82, 3]);
    expect([...handlePdu(fakeUnit, Buffer.from([4, 0xff, 0xff, 0, 2]))]).toEqual([0x84, 2]);
    expect([...handlePdu(fakeUnit, Buffer.from([0x2b, 14]))]).toEqual([0xab, 1]);
  });

  it('any byte string: never throws, answers the request function code (or it | 0x80)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 260 }), (bytes) => {
        const out = handlePdu(fakeUnit, bytes);
        expect(out[0] === bytes[0] || out[0] === ((bytes[0]! | 0x80) & 0xff)).toBe(true);
        if (out[0]! & 0x80) expect(out.length).toBe(2);
      }),
      { numRuns: 2000 },
    );
  });

  it('the RTU deframer never throws and never holds more than a frame of noise', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 }), (chunks) => {
        const d = new RtuDeframer();
        for (const c of chunks)
          for (const f of d.push(Buffer.from(c))) expect(f.length).toBeGreaterThanOrEqual(4);
        expect(d.pending()).toBeLessThanOrEqual(256);
        d.idle();
        expect(d.pending()).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });
});
