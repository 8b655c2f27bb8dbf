// The fast paths for data batches — the scanner (no JSON.parse) and the one pass after
// JSON.parse — against the reference path (decodeDataBatch + batchMatchesTopic +
// toLineProtocol): same lines, points, dead letters, completeness observation and decoded
// message for random valid and invalid batches, and for numbers written every JSON way.
import { deviceTopic } from '@ganzhi/device-profiles';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastDataBatch } from '../src/fast-path/fast-batch.js';
import { parsedDataBatch } from '../src/fast-path/parsed-batch.js';
import { scanDataBatch } from '../src/fast-path/scan-batch.js';
import { decodeRecord } from '../src/pipeline/decode-record.js';
import { encodeLogRecord } from '../src/pipeline/log-record.js';
import { cleanBatch, IDS, NOW, payload, payloadOf, validBatch } from './batch-arbitraries.js';

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

  it('tags an unknown model `unknown` the same way on the fast and the reference path', () => {
    const knownModel = (id: string) => id === 'eastron-sdm630';
    const seen = { unknown: 0, known: 0 };
    fc.assert(
      fc.property(payload, ({ json }) => {
        const rec = record(Buffer.from(json));
        const reference = decodeRecord(rec, NOW, { fast: false, knownModel });
        expect(decodeRecord(rec, NOW, { knownModel })).toEqual(reference);
        if (reference.unknownModel !== undefined) {
          seen.unknown++;
          expect(reference.unknownModel).toBe('bench-meter');
          for (const l of reference.lines) expect(l).toContain(',model=unknown,');
        } else if (reference.lines.length > 0) {
          seen.known++;
          for (const l of reference.lines) expect(l).toContain(',model=eastron-sdm630,');
        }
      }),
      { numRuns: 800 },
    );
    expect(seen.unknown).toBeGreaterThan(100);
    expect(seen.known).toBeGreaterThan(100);
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

  it('the scanner takes every clean gateway batch, its keys in any order', () => {
    const reversed = (o: object) => Object.fromEntries(Object.entries(o).reverse());
    fc.assert(
      fc.property(cleanBatch, (b) => {
        const p = Buffer.from(JSON.stringify(b));
        expect(scanDataBatch(p, IDS, NOW)).toBeDefined();
        // the same batch with every object's keys the other way round
        const other = Buffer.from(JSON.stringify(reversed({ ...b, readings: b.readings.map(reversed) })));
        expect(other.equals(p)).toBe(false);
        expect(scanDataBatch(other, IDS, NOW)).toEqual(scanDataBatch(p, IDS, NOW));
      }),
      { numRuns: 1000 },
    );
  });

  it('the scanner agrees with the reference on clean batches and all the ways to break them', () => {
    const seen = { scanned: 0, declined: 0 };
    fc.assert(
      fc.property(payloadOf(cleanBatch), ({ json }) => {
        const p = Buffer.from(json);
        const scanned = scanDataBatch(p, IDS, NOW);
        const reference = decodeRecord(record(p), NOW, { fast: false });
        if (scanned === undefined) {
          seen.declined++;
          return;
        }
        seen.scanned++;
        expect(reference.deadLetters).toEqual([]);
        expect(scanned.lines).toEqual(reference.lines);
        expect(scanned.points).toBe(reference.points);
        expect(scanned.batch).toEqual(reference.message?.value);
        expect(scanned).toEqual(parsedDataBatch(p, IDS, NOW));
      }),
      { numRuns: 1500 },
    );
    expect(seen.scanned).toBeGreaterThan(250);
    expect(seen.declined).toBeGreaterThan(250);
  });

  it('the scanner writes a number as the reference does, however the JSON writes it', () => {
    const digits = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    const numberText = fc
      .tuple(
        fc.constantFrom('', '-'),
        fc.oneof(
          fc.constant('0'),
          fc.tuple(fc.constantFrom(...'123456789'), digits(0, 20)).map(([a, b]) => a + b),
        ),
        fc.option(digits(1, 20), { nil: undefined }),
        fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3)), {
          nil: undefined,
        }),
      )
      .map(
        ([sign, int, frac, exp]) =>
          `${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp ? exp.join('') : ''}`,
      );
    const examples = [
      '1.0',
      '1e3',
      '1E+2',
      '-0',
      '-0.0',
      '0.0000001',
      '0.000001',
      '0.0000012',
      '12345678901234567890',
      '0.1234567890123456789',
      '123456789012345',
      '1234567890123456',
      '-1.50',
      '5e-324',
      '2.5e-7',
      '1.7976931348623157e308',
      '1e400',
      '100',
      '0.30000000000000004',
      '999999999999999.9',
    ];
    const check = (text: string) => {
      const json = `{"v":1,"district":"${IDS.district}","gateway":"${IDS.gateway}","device":"${IDS.device}","model":"bench-meter","measurement":"m","stream":"s","seq":1,"sent":${NOW},"readings":[{"point":"p","value":${text},"ts":${NOW},"quality":"good"}]}`;
      const p = Buffer.from(json);
      const scanned = scanDataBatch(p, IDS, NOW);
      const reference = decodeRecord(record(p), NOW, { fast: false });
      if (!Number.isFinite(JSON.parse(text))) {
        expect(scanned).toBeUndefined();
        return;
      }
      expect(scanned?.lines).toEqual(reference.lines);
      expect(Object.is(scanned?.batch.readings[0]?.value, JSON.parse(text))).toBe(true);
    };
    for (const t of examples) check(t);
    fc.assert(fc.property(numberText, check), { numRuns: 3000 });
  });

  it('the scanner declines what it does not handle; the other paths decide', () => {
    const base = {
      v: 1,
      ...IDS,
      model: 'bench-meter',
      measurement: 'm',
      stream: 's',
      seq: 1,
      sent: NOW,
      readings: [{ point: 'p', value: 1, ts: NOW, quality: 'good' }],
    };
    const json = JSON.stringify(base);
    expect(scanDataBatch(Buffer.from(json), IDS, NOW)).toBeDefined();
    const variants = [
      JSON.stringify(base, null, 1), // whitespace
      json.replace('"bench-meter"', String.raw`"bench\u002dmeter"`), // an escape
      json.replace('"quality":"good"', '"quality":"good","quality":"good"'), // a key twice
      json.replace('"point":"p"', '"point":"p","__proto__":1'),
      json.replace('"value":1', '"value":"on"'),
      json.replace('"value":1', '"value":null'),
      json.replace('"quality":"good"', '"quality":"uncertain"'),
      json.replace('"quality":"good"', '"quality":"good","reason":"x"'),
      json.replace('"quality":"good"', '"quality":"good","unit":"°C"'), // not ASCII
      json.replace('"seq":1', '"seq":1.0'),
      json.replace('"seq":1', '"seq":1e0'),
      `${json} `,
    ];
    for (const v of variants) {
      const p = Buffer.from(v);
      expect(scanDataBatch(p, IDS, NOW), v).toBeUndefined();
      expect(decodeRecord(record(p), NOW)).toEqual(decodeRecord(record(p), NOW, { fast: false }));
    }
  });
});
