import type { SerialLine, SerialPoint } from '@ganzhi/device-profiles';
import { seededRandom } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { checkFrame, nmeaChecksum, parseFrame, stxEtxChecksum } from './frame-parser.js';
import { createFramer } from './framer.js';

const nmea = (body: string) => `$${body}*${nmeaChecksum(body)}`;
const GGA = 'GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,';

const gpsLine: SerialLine = { framing: { kind: 'line', terminator: '\r\n' }, checksum: 'nmea' };
const gps: SerialPoint[] = [
  {
    name: 'latitude',
    unit: 'deg',
    type: 'float',
    serial: { select: { kind: 'nmea', sentence: 'GGA', field: 2, decode: 'latitude' } },
  },
  {
    name: 'longitude',
    unit: 'deg',
    type: 'float',
    serial: { select: { kind: 'nmea', sentence: 'GGA', field: 4, decode: 'longitude' } },
  },
  {
    name: 'fix',
    unit: '1',
    type: 'string',
    enum: { '0': 'none', '1': 'gps' },
    serial: { select: { kind: 'nmea', sentence: 'GGA', field: 6 } },
  },
  {
    name: 'satellites',
    unit: '1',
    type: 'integer',
    serial: { select: { kind: 'nmea', sentence: 'GGA', field: 7 } },
  },
  {
    name: 'altitude',
    unit: 'm',
    type: 'float',
    serial: { select: { kind: 'nmea', sentence: 'GGA', field: 9 } },
  },
];

describe('framer', () => {
  it('cuts lines across chunk boundaries, tolerates lone CR/LF, drops empty frames', () => {
    const f = createFramer({ kind: 'line', terminator: '\r\n' });
    expect(f.push('abc\r')).toEqual([]);
    expect(f.push('\ndef\n\r\nghi')).toEqual(['abc', 'def']);
    expect(f.push('\r\n')).toEqual(['ghi']);
  });
  it('delimiter and fixed framing', () => {
    expect(createFramer({ kind: 'delimiter', delimiter: ';' }).push('a;b;c')).toEqual(['a', 'b']);
    expect(createFramer({ kind: 'fixed', length: 3 }).push('abcdefg')).toEqual(['abc', 'def']);
  });
  it('drops an over-long run without terminator and resynchronises', () => {
    const f = createFramer({ kind: 'line', terminator: '\n' }, 16);
    expect(f.push('x'.repeat(40))).toEqual([]);
    expect(f.dropped).toBe(40);
    expect(f.push('yy\nok\n')).toEqual(['yy', 'ok']);
  });
});

describe('frame parser', () => {
  it('NMEA checksum, then fields with latitude/longitude and enum', () => {
    const r = parseFrame(nmea(GGA), gpsLine, gps);
    expect(r.checksum).toBe('ok');
    const v = Object.fromEntries(
      r.values.map((x) => [x.point.name, x.result.ok ? x.result.value : x.result.reason]),
    );
    expect(v.latitude).toBeCloseTo(48.1173, 4);
    expect(v.longitude).toBeCloseTo(11.516667, 5);
    expect(v).toMatchObject({ fix: 'gps', satellites: 8, altitude: 545.4 });
  });
  it('rejects a corrupted sentence and a missing checksum', () => {
    const bad = nmea(GGA).replace('545.4', '545.5');
    expect(checkFrame(bad, 'nmea')).toMatchObject({ ok: false, reason: 'checksum' });
    expect(checkFrame(`$${GGA}`, 'nmea')).toMatchObject({ ok: false, reason: 'no checksum' });
    // every point of the refused sentence is bad with the reason, none has a value
    const r = parseFrame(bad, gpsLine, gps);
    expect(r).toMatchObject({ checksum: 'failed', reason: 'checksum' });
    expect(r.values.map((x) => [x.point.name, x.result])).toEqual(
      gps.map((p) => [p.name, { ok: false, reason: 'checksum' }]),
    );
  });
  it('refuses a sentence whose field count is wrong even when its checksum matches (a shifted comma)', () => {
    // the comma between altitude and its unit lost: the checksum is recomputed over the damage
    const shifted = nmea('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4M,46.9,M,,');
    const r = parseFrame(shifted, gpsLine, gps);
    expect(r).toMatchObject({ checksum: 'failed', reason: 'GGA has 13 fields, expected 14' });
    expect(r.values.every((x) => !x.result.ok)).toBe(true);
    expect(r.values[0]?.result).toEqual({ ok: false, reason: 'bad frame: GGA has 13 fields, expected 14' });
  });
  it('an enum field that is not an integer code is bad, not a label', () => {
    const r = parseFrame(
      nmea('GPGGA,123519,4807.038,N,01131.000,E,1n,08,0.9,545.4,M,46.9,M,,'),
      gpsLine,
      gps,
    );
    const fix = r.values.find((x) => x.point.name === 'fix')!;
    expect(fix.result).toEqual({ ok: false, reason: 'not an enum code' });
  });
  it('finds the sentence after leading garbage on the same line', () => {
    expect(parseFrame(`\u0000\u00ff#@${nmea(GGA)}`, gpsLine, gps).checksum).toBe('ok');
  });
  it('empty NMEA fields (no fix) become bad readings, not zeros', () => {
    const r = parseFrame(nmea('GPGGA,123519,,,,,0,00,,,M,,M,,'), gpsLine, gps);
    const lat = r.values.find((x) => x.point.name === 'latitude')!;
    expect(lat.result.ok).toBe(false);
  });
  it('column and regex selectors honour the prefix; sum8-hex checksum', () => {
    const line: SerialLine = {
      framing: { kind: 'line' },
      checksum: 'sum8-hex',
      prefix: 'W,',
      columnDelimiter: ',',
    };
    const pts: SerialPoint[] = [
      { name: 'temp', unit: 'Cel', type: 'float', serial: { select: { kind: 'column', index: 2 } } },
      {
        name: 'rh',
        unit: '%',
        type: 'integer',
        serial: { select: { kind: 'regex', pattern: 'RH=(?<rh>\\d+)', group: 'rh' } },
      },
    ];
    const body = 'W,01,+021.5,RH=45';
    let sum = 0;
    for (const c of body) sum = (sum + c.charCodeAt(0)) & 0xff;
    const frame = `${body}*${sum.toString(16).toUpperCase().padStart(2, '0')}`;
    const r = parseFrame(frame, line, pts);
    expect(r.values.map((x) => x.result)).toEqual([
      { ok: true, value: 21.5 },
      { ok: true, value: 45 },
    ]);
    expect(parseFrame(`X,${frame.slice(2)}`, { ...line, checksum: 'none' }, pts).values).toEqual([]);
  });

  describe('checksum xor-stx-etx (Gill / Campbell MetSENS lines)', () => {
    // Golden lines, checked by hand. Gill WindSonic manual (1405-PS-0019), Gill format polar
    // continuous: <STX>Q,229,002.74,M,00,<ETX>16. Bytes with an odd count between STX and
    // ETX: '2' 32 '4' 34 '7' 37 '9' 39 'Q' 51 ',' 2C (5 of them) '.' 2E 'M' 4D, and
    // 32^34=06, ^37=31, ^39=08, ^51=59, ^2C=75, ^2E=5B, ^4D=16.
    const WINDSONIC = '\x02Q,229,002.74,M,00,\x0316';
    // MetSENS500 factory string (the manual prints 36 under it, a placeholder shared by every
    // model): odd counts '0'(17) 30 '2' 32 '3' 33 '5' 35 '8' 38 '9' 39 'Q' 51 '.'(5) 2E
    // '+'(3) 2B: 30^32=02, ^33=31, ^35=04, ^38=3C, ^39=05, ^51=54, ^2E=7A, ^2B=51.
    const METSENS = '\x02Q,021,000.01,090,1015.3,041,+022.0,+008.5,+05.1,0004,\x0351';
    const wx: SerialLine = {
      framing: { kind: 'line', terminator: '\r\n' },
      checksum: 'xor-stx-etx',
      prefix: 'Q',
      columnDelimiter: ',',
    };
    const col = (name: string, index: number, type: 'float' | 'integer' = 'float'): SerialPoint => ({
      name,
      unit: '1',
      type,
      serial: { select: { kind: 'column', index } },
    });
    const pts = [
      col('dir', 1, 'integer'),
      col('speed', 2),
      col('press', 4),
      col('temp', 6),
      col('status', 9),
    ];
    const valuesOf = (r: ReturnType<typeof parseFrame>) =>
      Object.fromEntries(r.values.map((x) => [x.point.name, x.result.ok ? x.result.value : x.result.reason]));

    it('computes the golden checksums', () => {
      expect(stxEtxChecksum('Q,229,002.74,M,00,')).toBe('16');
      expect(stxEtxChecksum('Q,021,000.01,090,1015.3,041,+022.0,+008.5,+05.1,0004,')).toBe('51');
      expect(checkFrame(WINDSONIC, 'xor-stx-etx')).toEqual({ ok: true, body: 'Q,229,002.74,M,00,' });
    });

    it('decodes the MetSENS500 line; columns count from the node letter after STX', () => {
      const r = parseFrame(METSENS, wx, pts);
      expect(r.checksum).toBe('ok');
      expect(valuesOf(r)).toEqual({ dir: 21, speed: 0.01, press: 1015.3, temp: 22, status: 4 });
    });

    it('accepts lower-case hex digits and ignores line noise before STX', () => {
      expect(checkFrame('\x02A,1,\x03' + stxEtxChecksum('A,1,').toLowerCase(), 'xor-stx-etx').ok).toBe(true);
      const glued = parseFrame(`\xff#\x03\x00${METSENS}`, wx, pts);
      expect(glued.checksum).toBe('ok');
      expect(valuesOf(glued).press).toBe(1015.3);
    });

    it('refuses a line altered in transit with its framing intact: every point bad, reason checksum', () => {
      const altered = METSENS.replace('1015.3', '1016.3');
      const r = parseFrame(altered, wx, pts);
      expect(r).toMatchObject({ checksum: 'failed', reason: 'checksum' });
      expect(valuesOf(r)).toEqual({
        dir: 'checksum',
        speed: 'checksum',
        press: 'checksum',
        temp: 'checksum',
        status: 'checksum',
      });
      // the same line without a checksum check decodes the wrong pressure as good
      expect(valuesOf(parseFrame(altered, { ...wx, checksum: 'none', prefix: '\x02Q' }, pts)).press).toBe(
        1016.3,
      );
    });

    const refusals: [string, string, string][] = [
      ['no STX', METSENS.slice(1), 'no STX'],
      ['cut before ETX', METSENS.slice(0, 30), 'no ETX'],
      ['one hex digit', METSENS.slice(0, -1), 'no checksum'],
      ['bytes after the checksum', `${METSENS} `, 'bytes after the checksum'],
      ['a checksum that is not hex', METSENS.replace(/51$/, 'G1'), 'checksum'],
      [
        'a stray ETX in the body',
        `\x02Q,1\x03,2,\x03${stxEtxChecksum('Q,1\x03,2,')}`,
        'ETX inside the frame',
      ],
    ];
    it.each(refusals)('refuses %s', (_what, frame, reason) => {
      expect(checkFrame(frame, 'xor-stx-etx')).toMatchObject({ ok: false, reason });
      expect(parseFrame(frame, wx, pts).values.every((x) => !x.result.ok)).toBe(true);
    });

    it('any single changed byte between STX and the checksum is caught', () => {
      for (let i = 1; i < METSENS.length; i++) {
        for (const b of [0x00, 0x20, 0x30, 0x7f, 0xff]) {
          if (METSENS.charCodeAt(i) === b) continue;
          const frame = METSENS.slice(0, i) + String.fromCharCode(b) + METSENS.slice(i + 1);
          expect(parseFrame(frame, wx, pts).checksum, JSON.stringify(frame)).toBe('failed');
        }
      }
    });
  });

  it('fuzz: random garbage mixed with good sentences never throws and every good sentence survives', () => {
    const rnd = seededRandom(20261127);
    for (let round = 0; round < 200; round++) {
      const f = createFramer(gpsLine.framing, 512);
      let stream = '';
      let good = 0;
      for (let i = 0; i < 20; i++) {
        const kind = rnd();
        if (kind < 0.4) {
          stream += `${nmea(GGA)}\r\n`;
          good++;
        } else if (kind < 0.6) {
          // a sentence cut off mid-line (device reset, buffer overrun)
          stream += nmea(GGA).slice(0, Math.floor(rnd() * 40)); // no line end: runs into the next frame
        } else if (kind < 0.8) {
          stream += `${nmea(GGA).replace('4807', '4808')}\r\n`; // checksum failure
        } else {
          let g = '';
          const n = Math.floor(rnd() * 700);
          for (let k = 0; k < n; k++) g += String.fromCharCode(Math.floor(rnd() * 256));
          stream += `${g.replace(/[\r\n]/g, '')}\r\n`;
        }
      }
      let ok = 0;
      let pos = 0;
      while (pos < stream.length) {
        const n = 1 + Math.floor(rnd() * 64);
        for (const frame of f.push(Buffer.from(stream.slice(pos, pos + n), 'latin1'))) {
          const r = parseFrame(frame, gpsLine, gps);
          if (r.checksum === 'ok' && r.values.length === gps.length) ok++;
        }
        pos += n;
      }
      expect(ok).toBe(good);
    }
  });
});
