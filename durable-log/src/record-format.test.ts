import { describe, expect, it } from 'vitest';
import { crc32, parseRecord, RECORD_HEADER_BYTES, writeHeader } from './record-format.js';

describe('record format', () => {
  it('computes the standard CRC-32 (IEEE) check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('6789'), crc32(Buffer.from('12345')))).toBe(0xcbf43926);
  });

  it('round-trips a record and rejects one with a changed appendedAt', () => {
    const payload = Buffer.from('hello');
    const buf = Buffer.alloc(RECORD_HEADER_BYTES + payload.length);
    writeHeader(buf, 0, payload, 1_700_000_000_123);
    payload.copy(buf, RECORD_HEADER_BYTES);
    expect(parseRecord(buf, 0, buf.length)).toEqual({
      kind: 'ok',
      record: { at: 0, length: 5, appendedAt: 1_700_000_000_123 },
    });
    expect(parseRecord(buf, 0, buf.length - 1)).toEqual({ kind: 'short', need: RECORD_HEADER_BYTES + 5 });
    buf.writeDoubleLE(1_700_000_000_124, 8);
    expect(parseRecord(buf, 0, buf.length)).toMatchObject({ kind: 'bad', reason: 'CRC mismatch' });
  });

  it('rejects an all-zero header (a zero-filled tail after a power cut)', () => {
    expect(parseRecord(Buffer.alloc(64), 0, 64)).toMatchObject({ kind: 'bad' });
  });
});
