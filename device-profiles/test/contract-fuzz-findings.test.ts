/**
 * Pins what the payload fuzz (cloud-ingest/test/fuzz-payloads.test.ts) found the decoder
 * accepting although the hub would store it wrongly: each case must now be rejected as a
 * single reading (dead-lettered with a reason) while its neighbours are kept.
 */
import { describe, expect, it } from 'vitest';
import { decodeDataBatch, encodeDataBatch, toLineProtocol } from '../src/index.js';

const T0 = 1_764_200_000_000;
const ids = { district: 'north', gateway: 'gw-1', device: 'meter-1' };

function decode(readings: unknown[]) {
  const text = JSON.stringify({
    v: 1,
    ...ids,
    model: 'test-meter',
    measurement: 'energy_meter',
    stream: 's1',
    seq: 1,
    sent: T0,
    readings,
  });
  const d = decodeDataBatch(text, { now: T0 });
  if (!d.ok) throw new Error(d.error);
  return d;
}

describe('contract decoder: readings the hub would store wrongly are rejected one by one', () => {
  it('a point named <x>_reason (it would overwrite the reason of point x, or invent a point x)', () => {
    const d = decode([
      { point: 'door', value: null, ts: T0, quality: 'bad', reason: 'sensor gone' },
      { point: 'door_reason', value: 'open', ts: T0, quality: 'bad', reason: 'r2' },
      { point: 'lock_reason', value: 'jammed', ts: T0, quality: 'uncertain' },
    ]);
    expect(d.rejected.map((r) => [r.point, r.reason])).toEqual([
      ['door_reason', expect.stringMatching(/reserved/)],
      ['lock_reason', expect.stringMatching(/reserved/)],
    ]);
    expect(toLineProtocol(d.value, ids).lines).toEqual([
      'energy_meter,device=meter-1,district=north,gateway=gw-1,model=test-meter,quality=bad door_reason="sensor gone" 1764200000000',
    ]);
  });

  it('a string value or reason with a lone surrogate (not representable in UTF-8)', () => {
    const d = decode([
      { point: 'a', value: 'lone \ud800 here', ts: T0, quality: 'good' },
      { point: 'b', value: 1, ts: T0, quality: 'bad', reason: 'x\udc00' },
      { point: 'c', value: 'pair 🚀 ok', ts: T0, quality: 'good' },
    ]);
    expect(d.rejected.map((r) => [r.point, r.reason])).toEqual([
      ['a', 'value: not well-formed Unicode (lone surrogate)'],
      ['b', 'reason: not well-formed Unicode (lone surrogate)'],
    ]);
    expect(d.value.readings.map((r) => r.point)).toEqual(['c']);
  });

  it('the same point twice at the same ts (stored once but counted twice): the later ones', () => {
    const d = decode([
      { point: 'a', value: 1, ts: T0, quality: 'good' },
      { point: 'a', value: 2, ts: T0, quality: 'good' },
      { point: 'a', value: 3, ts: T0, quality: 'bad', reason: 'r' },
      { point: 'a', value: 4, ts: T0 + 1, quality: 'good' },
    ]);
    expect(d.rejected).toEqual([
      { index: 1, point: 'a', reason: 'duplicate: readings[0] has the same point and ts' },
      { index: 2, point: 'a', reason: 'duplicate: readings[0] has the same point and ts' },
    ]);
    expect(d.value.readings.map((r) => r.value)).toEqual([1, 4]);
    expect(toLineProtocol(d.value, ids).points).toBe(2);
  });

  it('the encoder (gateway side) still sends such batches: the hub drops only those readings', () => {
    const b = decode([{ point: 'x', value: 1, ts: T0, quality: 'good' }]).value;
    const withSuffix = {
      ...b,
      readings: [{ point: 'x_reason', value: 's', ts: T0, quality: 'good' as const }],
    };
    expect(() => encodeDataBatch(withSuffix)).not.toThrow();
  });
});
