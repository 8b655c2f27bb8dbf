import { type OpcuaDataType, type OpcuaPoint, toEngineering } from '@ganzhi/device-profiles';
import { seededRandom } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { servedValue } from '../opcua/data-types.js';
import { quantise } from './quantise.js';

const opcua = (dataType: OpcuaDataType, over: Partial<OpcuaPoint> = {}): OpcuaPoint => ({
  name: 'p',
  unit: 'Cel',
  type: 'float',
  opcua: { nodeId: 'ns=2;s=P', dataType },
  ...over,
});

/** What the OPC UA front-end serves for a sample, and what a reader decodes from it. */
function served(p: OpcuaPoint, v: number | string) {
  const truth = quantise(p, v);
  const raw = servedValue(p, p.opcua.dataType!, truth);
  return { truth, raw, decoded: raw === undefined || raw === null ? raw : toEngineering(p, raw) };
}

describe('OPC UA quantisation with scale/offset: the server serves raw, the truth is what a reader decodes', () => {
  it('Int16 in 0.1 Cel from -40 Cel: raw = round((v + 40) × 10), clamped; truth decoded from it', () => {
    const p = opcua('Int16', { scale: 0.1, offset: -40 });
    expect(served(p, 23.47)).toEqual({ truth: 23.5, raw: 635, decoded: 23.5 });
    expect(served(p, -40)).toEqual({ truth: -40, raw: 0, decoded: -40 });
    expect(served(p, -45.04)).toEqual({ truth: -45, raw: -50, decoded: -45 });
    // saturates at the end of the type, as a transmitter does
    expect(served(p, 5000)).toEqual({ truth: 3236.7, raw: 32767, decoded: 3236.7 });
  });

  it('UInt16 in cm with an offset: no negative raw; halves round away from zero', () => {
    const p = opcua('UInt16', { unit: 'm', scale: 0.01, offset: 0.5 });
    expect(served(p, 3.14321)).toEqual({ truth: 3.14, raw: 264, decoded: 3.14 });
    expect(served(p, 0.125)).toEqual({ truth: 0.5, raw: 0, decoded: 0.5 }); // below raw 0
    // an exact half is rounded away from zero, as the codec's toRaw does for Modbus
    expect(served(opcua('Int16', { scale: 0.5 }), -1.25)).toEqual({ truth: -1.5, raw: -3, decoded: -1.5 });
  });

  it('Float in mbar above 1 bar: raw is a float32, the truth is decoded from that float32', () => {
    const p = opcua('Float', { unit: 'bar', scale: 0.001, offset: 1 });
    const s = served(p, 2.3456789);
    expect(s.raw).toBe(Math.fround(1345.6789));
    expect(s.raw).not.toBe(1345.6789);
    expect(s.truth).toBe((s.raw as number) / 1000 + 1);
    expect(s.decoded).toBe(s.truth);
  });

  it('Double in 0.1 m3/h with an offset: raw not rounded, truth decodes exactly', () => {
    const p = opcua('Double', { unit: 'm3/h', scale: 0.1, offset: 0.05 });
    const s = served(p, 12.3456789);
    expect(s.raw).toBeCloseTo(122.956789, 9);
    expect(s.decoded).toBe(s.truth);
    expect(s.truth).toBeCloseTo(12.3456789, 12);
  });

  it('integer points with a whole scale, and a negative scale', () => {
    expect(served(opcua('Int32', { type: 'integer', unit: '1', scale: 10 }), 1234)).toEqual({
      truth: 1230,
      raw: 123,
      decoded: 1230,
    });
    expect(served(opcua('Int16', { scale: -0.5, offset: 100 }), 80.2)).toEqual({
      truth: 80,
      raw: 40,
      decoded: 80,
    });
  });

  it('enum on an integer data type: the label is served as its key, the truth is the label', () => {
    const p = opcua('UInt16', {
      type: 'string',
      unit: '1',
      enum: { '0': 'none', '1': 'overcurrent', '2': 'overvoltage' },
    });
    expect(served(p, 'overvoltage')).toEqual({ truth: 'overvoltage', raw: 2, decoded: 'overvoltage' });
    // a numeric signal (the default enum signal is the number 1, coerced to "1")
    expect(served(p, '1')).toEqual({ truth: 'overcurrent', raw: 1, decoded: 'overcurrent' });
    // a code without a label is served and read as its number text
    expect(served(p, '7')).toEqual({ truth: '7', raw: 7, decoded: '7' });
    expect(() => quantise(p, 'melted')).toThrow(expect.objectContaining({ code: 'GZ_CODEC_ENUM' }));
  });

  it('unscaled points are served as before: rounded/clamped integers, Double as is', () => {
    expect(served(opcua('Int16'), 40000.4)).toEqual({ truth: 32767, raw: 32767, decoded: 32767 });
    expect(served(opcua('Double'), 50.25)).toEqual({ truth: 50.25, raw: 50.25, decoded: 50.25 });
  });

  it('for any value, re-serving the truth decodes to exactly the truth (no floating drift)', () => {
    const rnd = seededRandom(42);
    const cases: OpcuaPoint[] = [];
    for (const dataType of ['Int16', 'UInt16', 'Int32', 'Float', 'Double'] as const) {
      for (const scale of [0.1, 0.01, 0.3, 1 / 3, 7e-5, 2.5, 1000, -0.1]) {
        for (const offset of [0, 0.05, -273.15, 1e6]) cases.push(opcua(dataType, { scale, offset }));
      }
    }
    // odd scales with large offsets: where a Double's inverse drifts by an ulp
    for (let k = 0; k < 600; k++) {
      const scale = (rnd() - 0.5) * 10 ** (rnd() * 8 - 4) || 0.1;
      const offset = (rnd() - 0.5) * 10 ** (rnd() * 8 - 2);
      cases.push(opcua('Double', { scale, offset }));
    }
    const bad: string[] = [];
    for (const p of cases) {
      for (let i = 0; i < 200; i++) {
        const v = (p.offset ?? 0) + (rnd() - 0.5) * 10 ** (rnd() * 10 - 3);
        const { truth, decoded } = served(p, v);
        if (decoded !== truth) bad.push(`${p.opcua.dataType} ×${p.scale} +${p.offset}: ${v}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});
