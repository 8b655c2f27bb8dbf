import { describe, expect, it } from 'vitest';
import { findMalformed, parseLine } from './line-protocol.js';

describe('parseLine', () => {
  it('parses measurement, tags, typed fields and the timestamp', () => {
    const r = parseLine(
      'energy_meter,device=m1,quality=good p=1.5,n=3i,u=4u,on=true,s="a \\"b\\" \\\\c" 1700000000000',
    );
    expect(r).toEqual({
      ok: true,
      value: {
        measurement: 'energy_meter',
        tags: [
          ['device', 'm1'],
          ['quality', 'good'],
        ],
        fields: [
          { key: 'p', type: 'float', value: 1.5 },
          { key: 'n', type: 'int', value: 3 },
          { key: 'u', type: 'uint', value: 4 },
          { key: 'on', type: 'bool', value: true },
          { key: 's', type: 'string', value: 'a "b" \\c' },
        ],
        ts: 1700000000000,
      },
    });
  });

  it('unescapes commas, spaces and equals signs in names and tag values', () => {
    const r = parseLine('my\\ m,t\\,k=v\\ 1\\=2 f\\ x=1');
    expect(r.ok && r.value).toMatchObject({
      measurement: 'my m',
      tags: [['t,k', 'v 1=2']],
      fields: [{ key: 'f x' }],
    });
  });

  it('keeps commas and spaces inside string fields', () => {
    const r = parseLine('m s="a, b c=d",x=1 5');
    expect(r.ok && r.value.fields).toEqual([
      { key: 's', type: 'string', value: 'a, b c=d' },
      { key: 'x', type: 'float', value: 1 },
    ]);
  });

  it.each([
    ['', 'empty line'],
    ['m', 'missing fields'],
    ['m f= 1', 'invalid value'],
    ['m f=abc 1', 'invalid value'],
    ['m,t f=1', 'invalid tag'],
    ['m f="open 1', 'unterminated'],
    ['m f=1 12x', 'invalid timestamp'],
    ['m f=-3u', 'invalid value'],
    [',t=1 f=1', 'missing measurement'],
  ])('rejects %j (%s)', (line, why) => {
    const r = parseLine(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(why);
  });

  it('findMalformed lists only the bad lines by index', () => {
    expect(findMalformed(['m f=1 1', 'nope', 'm f=2 2', 'm f=']).map((b) => b.index)).toEqual([1, 3]);
  });
});
