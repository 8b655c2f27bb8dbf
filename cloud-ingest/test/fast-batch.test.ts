// The one-pass fast path for data batches against the reference path (decodeDataBatch +
// batchMatchesTopic + toLineProtocol): same lines, points, dead letters, completeness
// observation and decoded message for random valid and invalid batches.
import { deviceTopic } from '@ganzhi/device-profiles';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../src/pipeline/decode-record.js';
import { fastDataBatch } from '../src/pipeline/fast-batch.js';
import { encodeLogRecord } from '../src/pipeline/log-record.js';
import { IDS, NOW, payload, validBatch } from './batch-arbitraries.js';

const topic = deviceTopic(IDS.district, IDS.gateway, IDS.device, 'data');
const record = (p: Buffer) => encodeLogRecord(topic, p);

describe('fast data-batch path', () => {
  it('agrees with the reference path on random valid and invalid batches', () => {
    const seen = { fast: 0, reference: 0 };
    fc.assert(
      fc.property(payload, ({ json }) => {
        const rec = record(Buffer.from(json));
        const reference = decodeRecord(rec, NOW, { fast: false });
        const fast = fastDataBatch(Buffer.from(json), IDS, NOW);
        if (fast === undefined) seen.reference++;
        else {
          seen.fast++;
          // it only takes what the reference accepts whole
          expect(reference.deadLetters).toEqual([]);
          expect(fast.lines).toEqual(reference.lines);
          expect(fast.points).toBe(reference.points);
          expect(fast.batch).toEqual(reference.message?.value);
        }
        expect(decodeRecord(rec, NOW)).toEqual(reference);
      }),
      { numRuns: 1500 },
    );
    // both paths are exercised: a fast path that always declined would pass the above
    expect(seen.fast).toBeGreaterThan(250);
    expect(seen.reference).toBeGreaterThan(250);
  });

  it('takes every valid batch', () => {
    fc.assert(
      fc.property(validBatch, (b) => {
        expect(fastDataBatch(Buffer.from(JSON.stringify(b)), IDS, NOW)).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves payloads that are not plain UTF-8 JSON to the reference path', () => {
    const good = Buffer.from(
      JSON.stringify({
        v: 1,
        ...IDS,
        model: 'bench-meter',
        measurement: 'm',
        stream: 's',
        seq: 1,
        sent: NOW,
        readings: [{ point: 'p', value: 1, ts: NOW, quality: 'good' }],
      }),
    );
    expect(fastDataBatch(good, IDS, NOW)?.lines).toEqual([
      'm,device=meter-1,district=north,gateway=gw-7,model=bench-meter,quality=good p=1 1800000000000',
    ]);
    const bad = Buffer.concat([good.subarray(0, 20), Buffer.from([0xc3, 0x28]), good.subarray(20)]);
    expect(fastDataBatch(bad, IDS, NOW)).toBeUndefined();
    const out = decodeRecord(record(bad), NOW);
    expect(out.deadLetters).toEqual([
      { kind: 'message', reason: 'payload is not valid UTF-8', topic, payload: bad },
    ]);
    // a BOM: the reference decoder strips it, the fast path declines
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good]);
    expect(fastDataBatch(bom, IDS, NOW)).toBeUndefined();
    expect(decodeRecord(record(bom), NOW).lines).toEqual(decodeRecord(record(good), NOW).lines);
  });
});
