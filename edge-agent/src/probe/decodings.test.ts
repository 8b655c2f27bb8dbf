import { describe, expect, it } from 'vitest';
import { decodings, renderDecodings } from './decodings.js';

describe('probe decodings', () => {
  it('shows 230.5 as float32 ABCD and 5.25 as CDAB, with int/uint beside', () => {
    const rows = decodings(0, [0x4366, 0x8000, 0x0000, 0x40a8]);
    expect(rows[0]!.wide!.find((d) => d.order === 'ABCD')!.float32).toBe(230.5);
    expect(rows[2]!.wide!.find((d) => d.order === 'CDAB')!.float32).toBe(5.25);
    expect(rows[0]!.int16).toBe(0x4366);
    expect(rows[3]!.wide).toBeUndefined();
    const text = renderDecodings(rows).join('\n');
    expect(text).toContain('ABCD 230.5 / 1130790912 / 1130790912');
    expect(text).toContain('CDAB 5.25 /');
  });
});
