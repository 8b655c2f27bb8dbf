/**
 * CJ/T 188 golden vectors: published frames (sources below), decoded by hand from the
 * standard's item formats; none comes from our encoder.
 *
 * [C1] the water-meter reply explained field by field at https://www.cnblogs.com/myzony/p/10897895.html
 *      (quoted in a public C# test, UsualPackageParseToolTestBy188): 556677.00 m³ twice,
 *      2015-05-11 22:01:31, status 21 84. The article prints the checksum as 08, which is not
 *      the byte sum; the same frame with checksum 13 (the byte sum) is quoted by a public
 *      Java FoxEdge decoder (CJT188ProtocolGetData, "应答数据: 68 10 44 33 … 84 13 16").
 * [C2] a water-meter reply in a public Java log parser comment ("响应读计量数据 68 10 69 00 01
 *      07 17 20 00 81 16 1F 90 02 …"), meter 20170701000069, time 2017-08-19 16:54:59.
 * [C3] a heat-meter (T = 20h) reply in a public C# tool comment ("MBUS 68 20 51 21 31 17 00
 *      11 11 81 2E 1F 90 12 …"), and the heat-meter read request "FE FE 68 20 AA … 01 03 1F 90
 *      00 E1 16" of a public ioBroker adapter (with its field-by-field table of the reply).
 * [C4] a water-meter reply with the DI sent "90 1F" (FoxEdge test), value 000123.00 m³.
 * [STD] CJ/T 188-2004: frame, item formats (XXXXXX.XX, XXXX.XXXX, XXXX.XX °C, XXXXXX h),
 *      unit codes (05 kWh, 17 kW, 2C m³, 35 m³/h, 29 L …), ST1 bits D0-D1 valve (00 open, 01
 *      closed, 11 abnormal), D2 battery (1 = low).
 */
import { describe, expect, it } from 'vitest';
import { cjt188 } from '../src/index.js';

const bytes = (s: string) => Uint8Array.from(s.trim().split(/\s+/), (x) => Number.parseInt(x, 16));
const hexOf = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');

function reply(s: string) {
  const f = cjt188.decodeFrame(bytes(s));
  if (!f.ok) throw new Error(f.reason);
  const r = cjt188.parseReadDataReply(f.frame);
  if (!r.ok) throw new Error(r.reason);
  return { frame: f.frame, data: r.value };
}

describe('water meter read-data replies (T = 10h, DI 901F)', () => {
  it('[C1] 556677.00 m³ current and settlement flow, valve closed, battery normal', () => {
    const { frame, data } = reply(
      'FE FE FE FE 68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 13 16',
    );
    expect(frame).toMatchObject({ meterType: 0x10, address: '78330011223344' });
    expect(data.currentFlow).toEqual({ value: 556677, unitCode: 0x2c, unit: 'm3' });
    expect(data.settlementFlow).toEqual({ value: 556677, unitCode: 0x2c, unit: 'm3' });
    expect(data.meterTime).toEqual({ year: 2015, month: 5, day: 11, hour: 22, minute: 1, second: 31 });
    expect(data.status).toEqual({ st1: 0x21, st2: 0x84, valve: 'closed', batteryLow: false });
  });

  it('[C1] as printed in the article (checksum 08) the frame is refused: the byte sum is 13', () => {
    const r = cjt188.decodeFrame(
      bytes(
        'FE FE FE FE 68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 08 16',
      ),
    );
    expect(r).toEqual({ ok: false, reason: 'checksum: computed 13, frame has 08' });
  });

  it('[C2] zero flow, SER 02, valve abnormal (ST1 13h: D1 D0 = 11)', () => {
    const { frame, data } = reply(
      '68 10 69 00 01 07 17 20 00 81 16 1F 90 02 00 00 00 00 2C 00 00 00 00 2C 59 54 16 19 08 17 20 13 01 EF 16',
    );
    expect(frame.address).toBe('00201707010069');
    expect(data.ser).toBe(2);
    expect(data.currentFlow?.value).toBe(0);
    expect(data.meterTime).toEqual({ year: 2017, month: 8, day: 19, hour: 16, minute: 54, second: 59 });
    expect(data.status.valve).toBe('abnormal');
  });

  it('[C4] a meter sending the DI as 90 1F: 123.00 m³, reported as swapped order', () => {
    const { data } = reply(
      'FE FE FE 68 10 01 00 00 05 08 00 00 81 16 90 1F 00 00 23 01 00 2C 00 00 00 00 2C 00 00 00 00 00 00 00 00 00 48 16',
    );
    expect(data.diOrder).toBe('swapped');
    expect(data.currentFlow?.value).toBe(123);
    expect(data.meterTime).toBeUndefined(); // a meter without a clock sends zeros: no time, no refusal
    expect(data.clockProblem).toBeUndefined();
  });

  it('the read request for a water meter: C = 01, L = 03, DI 1F 90, SER (hand-worked [STD])', () => {
    // 68 10 44 33 22 11 00 33 78 01 03 1F 90 00 CS 16; CS = byte sum = 0x68+0x10+…+0x00 = 0x80 (hand-added)
    expect(hexOf(cjt188.readDataRequest(0x10, '78330011223344'))).toBe(
      '68 10 44 33 22 11 00 33 78 01 03 1F 90 00 80 16',
    );
  });
});

describe('heat meter read-data replies (T = 20h)', () => {
  it('[C3] the published broadcast read request is byte-exact', () => {
    expect(hexOf(cjt188.readDataRequest(0x20, cjt188.WILDCARD_ADDRESS, 0, 2))).toBe(
      'FE FE 68 20 AA AA AA AA AA AA AA 01 03 1F 90 00 E1 16',
    );
  });

  it('[C3] temperatures, accumulated flow, working hours, battery low (ST1 04h)', () => {
    const { frame, data } = reply(
      '68 20 51 21 31 17 00 11 11 81 2E 1F 90 12 00 00 00 00 05 00 00 00 00 05 00 00 00 00 14 00 00 00 00 35 19 00 00 00 2C 76 30 00 68 30 00 73 02 00 32 41 11 12 09 07 20 04 00 E9 16',
    );
    expect(frame.address).toBe('11110017312151');
    expect(data.ser).toBe(0x12);
    expect(data.settlementHeat).toEqual({ value: 0, unitCode: 0x05, unit: 'kW.h' });
    expect(data.currentHeat).toEqual({ value: 0, unitCode: 0x05, unit: 'kW.h' });
    expect(data.heatPower).toEqual({ value: 0, unitCode: 0x14, unit: 'W' });
    expect(data.flowRate).toEqual({ value: 0, unitCode: 0x35, unit: 'm3/h' });
    expect(data.accumulatedFlow).toEqual({ value: 0.19, unitCode: 0x2c, unit: 'm3' });
    expect(data.supplyTemperature).toBe(30.76);
    expect(data.returnTemperature).toBe(30.68);
    expect(data.workingHours).toBe(273);
    expect(data.meterTime).toEqual({ year: 2007, month: 9, day: 12, hour: 11, minute: 41, second: 32 });
    expect(data.status).toEqual({ st1: 0x04, st2: 0x00, valve: 'open', batteryLow: true });
  });

  it('unit conversion to the profile unit is by kind only: W → kW, L → m3; energy never becomes volume', () => {
    expect(cjt188.convertQuantity({ value: 1500, unitCode: 0x14, unit: 'W' }, 'kW')).toBe(1.5);
    expect(cjt188.convertQuantity({ value: 250, unitCode: 0x29, unit: 'L' }, 'm3')).toBe(0.25);
    expect(cjt188.convertQuantity({ value: 1, unitCode: 0x11, unit: 'GJ' }, 'GJ')).toBeCloseTo(1, 12);
    expect(cjt188.convertQuantity({ value: 1, unitCode: 0x05, unit: 'kW.h' }, 'm3')).toBeUndefined();
  });
});

describe('refusals', () => {
  it('a BCD digit above 9 in the flow is refused, naming the item', () => {
    // [C1] with the first flow byte 77 → 7A and the checksum re-added by hand (13 + 3 = 16)
    const f = cjt188.decodeFrame(
      bytes(
        '68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 7A 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 16 16',
      ),
    );
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(cjt188.parseReadDataReply(f.frame)).toEqual({
      ok: false,
      reason: 'BCD digit > 9 in byte 1 (0x7a) (current accumulated flow)',
    });
  });

  it('a heat-meter reply of the wrong length, an unknown unit code, a type without a layout', () => {
    const short = cjt188.decodeFrame(bytes('68 20 51 21 31 17 00 11 11 81 03 1F 90 12 A9 16'));
    expect(short.ok && cjt188.parseReadDataReply(short.frame)).toEqual({
      ok: false,
      reason: 'length: L = 3, this meter type replies 46',
    });
    // [C1] with unit 2C → 2D (no such code), checksum 13 + 1 = 14
    const unit = cjt188.decodeFrame(
      bytes(
        '68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2D 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 14 16',
      ),
    );
    expect(unit.ok && cjt188.parseReadDataReply(unit.frame)).toEqual({
      ok: false,
      reason: 'unit code: 0x2d unknown (current accumulated flow)',
    });
    // a published reply from a meter of type 25h (not in CJ/T 188-2004's table)
    const t25 = cjt188.decodeFrame(
      bytes(
        '68 25 12 19 24 18 27 31 00 81 2E 1F 90 03 11 74 02 00 05 88 27 44 05 05 00 00 00 00 17 00 00 00 00 35 08 56 71 00 2C 79 26 00 64 26 00 66 47 07 11 52 17 03 09 25 20 00 05 2A 16',
      ),
    );
    expect(t25.ok && cjt188.parseReadDataReply(t25.frame)).toEqual({
      ok: false,
      reason: 'meter type: 0x25 has no read-data layout here',
    });
  });
});
