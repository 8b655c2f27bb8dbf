import { describe, expect, it } from 'vitest';
import { ProfileRegistry } from '../profiles/registry.js';
import { PAGE_FORMAT_SCRIPT } from './page-format-script.js';
import { decimalsForMagnitude, decimalsOfStep, pointDecimals } from './point-decimals.js';
import { pointUnitSymbol, unitSymbol } from './unit-symbol.js';

describe('unitSymbol', () => {
  it('shows the symbols people read for the UCUM codes the profiles use', () => {
    const cases: [string, string][] = [
      ['[ppb]', 'ppb'],
      ['[ppth]', '‰'],
      ['Cel', '°C'],
      ['ug/m3', 'µg/m³'],
      ['mg/m3', 'mg/m³'],
      ['kW.h', 'kWh'],
      ['kvar.h', 'kvarh'],
      ['/min', 'rpm'],
      ['m3/h', 'm³/h'],
      ['m3', 'm³'],
      ['uS/cm', 'µS/cm'],
      ['deg', '°'],
      ['1', ''],
      ['%', '%'],
      ['V', 'V'],
      ['hPa', 'hPa'],
      ['GJ/h', 'GJ/h'],
      ['km/h', 'km/h'],
      ['m/s', 'm/s'],
      ['h', 'h'],
      ['ms', 'ms'],
    ];
    for (const [ucum, want] of cases) expect([ucum, unitSymbol(ucum)]).toEqual([ucum, want]);
  });

  it('covers every unit of every builtin profile with something other than a raw UCUM bracket or dot', () => {
    for (const p of ProfileRegistry.builtin().list()) {
      for (const pt of p.points) {
        const s = unitSymbol(pt.unit);
        expect(s, `${p.id}.${pt.name} (${pt.unit})`).not.toMatch(/[[\]{}]|\w\.\w|^1$|Cel|\bu[gSm]/);
      }
    }
  });

  it('shows no unit for booleans, labels and text', () => {
    expect(pointUnitSymbol({ unit: '1', type: 'boolean' })).toBe('');
    expect(pointUnitSymbol({ unit: '1', type: 'integer', enum: { '0': 'none' } })).toBe('');
    expect(pointUnitSymbol({ unit: 'V', type: 'string' })).toBe('');
    expect(pointUnitSymbol({ unit: 'Cel', type: 'float' })).toBe('°C');
  });
});

describe('pointDecimals', () => {
  it('takes the step of a scaled integer register', () => {
    expect(decimalsOfStep(0.1)).toBe(1);
    expect(decimalsOfStep(0.01)).toBe(2);
    expect(decimalsOfStep(0.5)).toBe(1);
    expect(decimalsOfStep(0.25)).toBe(2);
    expect(decimalsOfStep(10)).toBe(0);
    expect(pointDecimals({ type: 'float', scale: 0.1, modbus: { type: 'uint16' } })).toBe(1);
    expect(pointDecimals({ type: 'float', modbus: { type: 'int16' } })).toBe(0);
  });

  it('gives four significant digits at the top of the range of a float', () => {
    expect(decimalsForMagnitude(500)).toBe(1);
    expect(decimalsForMagnitude(65)).toBe(2);
    expect(decimalsForMagnitude(1)).toBe(3);
    expect(decimalsForMagnitude(100_000)).toBe(0);
    expect(pointDecimals({ type: 'float', range: { min: 0, max: 500 }, modbus: { type: 'float32' } })).toBe(
      1,
    );
  });

  it('reads a DL/T 645 value format, and nothing for booleans, text and labels', () => {
    expect(pointDecimals({ type: 'float', dlt645: { dataId: '02010100', format: 'XXX.X' } })).toBe(1);
    expect(pointDecimals({ type: 'float', dlt645: { dataId: '00000000', format: 'XXXXXX.XX' } })).toBe(2);
    expect(pointDecimals({ type: 'integer' })).toBe(0);
    expect(pointDecimals({ type: 'boolean' })).toBeUndefined();
    expect(pointDecimals({ type: 'string' })).toBeUndefined();
    expect(pointDecimals({ type: 'integer', enum: { '0': 'none' } })).toBeUndefined();
  });

  it("gives the SDM630's volts one decimal (float32, range 0–500 V)", () => {
    const sdm = ProfileRegistry.builtin().get('eastron-sdm630')!;
    const by = (n: string) => sdm.points.find((p) => p.name === n)!;
    expect(pointDecimals(by('voltage_l1'))).toBe(1);
  });
});

describe("PAGE_FORMAT_SCRIPT (the pages' formatter, run as the browser would)", () => {
  type Fmt = {
    number: (v: unknown, d?: number) => string;
    clock: (ms: number) => string;
    zone: () => string;
  };
  const gz = new Function(`${PAGE_FORMAT_SCRIPT}; return gzFormat;`)() as Fmt;

  it('writes every value of a point with its decimals', () => {
    expect(gz.number(1000, 1)).toBe('1000.0');
    expect(gz.number(1012.4, 1)).toBe('1012.4');
    expect(gz.number(48, 1)).toBe('48.0');
    expect(gz.number(74.7, 1)).toBe('74.7');
    expect(gz.number(0.98765, 3)).toBe('0.988');
    expect(gz.number(-0.01, 1)).toBe('0.0');
    expect(gz.number(230.51234)).toBe('230.512');
    expect(gz.number(null, 1)).toBe('—');
    expect(gz.number(true)).toBe('true');
    expect(gz.number('overcurrent')).toBe('overcurrent');
  });

  it('writes 24-hour clocks and names the zone they are in', () => {
    const t = new Date(2026, 11, 6, 3, 5, 9).getTime();
    expect(gz.clock(t)).toBe('03:05:09');
    expect(gz.clock(t + 12 * 3_600_000)).toBe('15:05:09');
    expect(gz.zone()).toMatch(/UTC([+-]\d{1,2}(:\d\d)?)?$/);
  });
});
