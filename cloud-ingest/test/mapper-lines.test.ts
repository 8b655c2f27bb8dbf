// Why the writer may skip the sinks' syntax check (Sink.write's `trusted`): every line the
// contract mapper produces from a batch that passed decoding — through toLineProtocol or the
// ingest's fast path — parses with the strict parser and says exactly what the readings said.
import { type DataBatch, decodeDataBatch, toLineProtocol } from '@ganzhi/device-profiles';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastDataBatch } from '../src/fast-path/fast-batch.js';
import { type ParsedField, parseLine } from '../src/line-protocol.js';
import { IDS, NOW, payload, validBatch } from './batch-arbitraries.js';

/** What each line must hold: per (ts, quality), field → value, the last reading winning. */
function expected(b: DataBatch): Map<string, Map<string, ParsedField['value']>> {
  const lines = new Map<string, Map<string, ParsedField['value']>>();
  for (const r of b.readings) {
    const k = `${r.ts}|${r.quality}`;
    let f = lines.get(k);
    if (!f) {
      f = new Map();
      lines.set(k, f);
    }
    if (r.value !== null)
      f.set(r.point, typeof r.value === 'string' ? r.value.replace(/[\r\n]+/g, ' ') : r.value);
    if (r.quality !== 'good')
      f.set(`${r.point}_reason`, (r.reason ?? 'unspecified').replace(/[\r\n]+/g, ' '));
  }
  return lines;
}

function checkLines(b: DataBatch, lines: string[]): void {
  const want = expected(b);
  const got = new Map<string, Map<string, ParsedField['value']>>();
  for (const line of lines) {
    const p = parseLine(line);
    if (!p.ok) throw new Error(`mapper line does not parse (${p.error}): ${line}`);
    const { measurement, tags, fields, ts } = p.value;
    expect(measurement).toBe(b.measurement);
    const quality = tags.find(([k]) => k === 'quality')?.[1];
    expect(tags).toEqual([
      ['device', IDS.device],
      ['district', IDS.district],
      ['gateway', IDS.gateway],
      ['model', b.model],
      ['quality', quality],
    ]);
    for (const f of fields) {
      // numbers are always float fields; booleans bool; strings string
      const t = typeof f.value === 'number' ? 'float' : typeof f.value === 'boolean' ? 'bool' : 'string';
      expect(f.type).toBe(t);
    }
    got.set(`${ts}|${quality}`, new Map(fields.map((f) => [f.key, f.value])));
  }
  expect(got).toEqual(want);
}

describe('lines of the contract mapper', () => {
  it('always parse and round-trip (toLineProtocol)', () => {
    fc.assert(
      fc.property(validBatch, (b) => {
        const d = decodeDataBatch(JSON.stringify(b), { now: NOW });
        if (!d.ok) throw new Error(d.error);
        expect(d.rejected).toEqual([]);
        checkLines(d.value, toLineProtocol(d.value, IDS).lines);
      }),
      { numRuns: 2000 },
    );
  });

  it('always parse, also from batches that had readings rejected', () => {
    fc.assert(
      fc.property(payload, ({ json }) => {
        const d = decodeDataBatch(json, { now: NOW });
        if (!d.ok) return;
        checkLines(d.value, toLineProtocol(d.value, IDS).lines);
      }),
      { numRuns: 2000 },
    );
  });

  it('always parse and round-trip (fast path)', () => {
    fc.assert(
      fc.property(validBatch, (b) => {
        const fast = fastDataBatch(Buffer.from(JSON.stringify(b)), IDS, NOW);
        if (fast) checkLines(fast.batch, fast.lines);
      }),
      { numRuns: 2000 },
    );
  });
});
