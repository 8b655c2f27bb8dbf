/**
 * fast-check generators of data batches for the property tests of the decode/map paths:
 * valid batches (few point names and timestamps, so lines group several readings and a
 * point sometimes repeats within a line), and the same batches broken in one of many ways.
 */
import type { DataBatch } from '@ganzhi/device-profiles';
import fc from 'fast-check';

export const NOW = 1_800_000_000_000;
export const IDS = { district: 'north', gateway: 'gw-7', device: 'meter-1' };

type Reading = DataBatch['readings'][number];

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !LONE_SURROGATE.test(s)),
  fc.constantFrom('a "quoted" \\ text', 'line\nbreak\r\nx', 'tab\there', 'комма, = пробел', ''),
);

const goodValue = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -0, 1e21, 5e-324, 2 ** 53, -1.5),
  fc.boolean(),
  text,
);

const reading: fc.Arbitrary<Reading> = fc
  .record(
    {
      point: fc.constantFrom('p0', 'p1', 'voltage_l1', 'x', 'reason_x', 'a9_b'),
      value: fc.oneof({ weight: 6, arbitrary: goodValue }, { weight: 1, arbitrary: fc.constant(null) }),
      ts: fc.constantFrom(NOW - 3_600_000, NOW - 1000, NOW, 946_684_800_000, NOW + 86_400_000),
      quality: fc.constantFrom('good', 'good', 'good', 'uncertain', 'bad'),
      reason: text,
      unit: fc.constantFrom('kW', 'V', '°C', ''),
    },
    { requiredKeys: ['point', 'value', 'ts', 'quality'] },
  )
  .map((r) => (r.value === null && r.quality === 'good' ? { ...r, quality: 'bad' as const } : r));

export const validBatch: fc.Arbitrary<DataBatch> = fc.record({
  v: fc.constant(1 as const),
  district: fc.constant(IDS.district),
  gateway: fc.constant(IDS.gateway),
  device: fc.constant(IDS.device),
  model: fc.constantFrom('bench-meter', 'eastron-sdm630'),
  measurement: fc.constantFrom('energy_meter', 'm'),
  stream: fc.constantFrom('Zq3x9', 's-1_A'),
  seq: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
  sent: fc.constant(NOW),
  // the contract refuses the same point twice at one ts
  readings: fc.uniqueArray(reading, { maxLength: 40, selector: (r) => `${r.ts}|${r.point}` }),
});

/** One way to break a reading: the reference path rejects it (and keeps its neighbours). */
const readingBreak = fc.constantFrom<(r: Record<string, unknown>) => void>(
  (r) => {
    r.ts = 946_684_799_999; // before 2000
  },
  (r) => {
    r.ts = NOW + 86_400_001; // too far ahead
  },
  (r) => {
    r.ts = NOW + 0.5;
  },
  (r) => {
    r.ts = '1';
  },
  (r) => {
    r.value = { x: 1 };
  },
  (r) => {
    r.value = null;
    r.quality = 'good';
  },
  (r) => {
    r.value = 'x'.repeat(1025);
  },
  (r) => {
    r.point = 'P0';
  },
  (r) => {
    r.point = '0p';
  },
  (r) => {
    r.point = 'p'.repeat(64);
  },
  (r) => {
    r.point = 'p0_reason'; // reserved: the reason field of p0
  },
  (r) => {
    r.value = 'a\ud800b';
  },
  (r) => {
    r.reason = '\udc00';
    r.quality = 'bad';
  },
  (r) => {
    r.quality = 'ok';
  },
  (r) => {
    r.reason = 'r'.repeat(257);
  },
  (r) => {
    r.reason = 5;
  },
  (r) => {
    r.unit = 'u'.repeat(33);
  },
  (r) => {
    r.extra = 1;
  },
  (r) => {
    delete r.value;
  },
  (r) => {
    delete r.point;
  },
);

/** One way to break the envelope: the reference path refuses the whole message. */
const headerBreak = fc.constantFrom<(b: Record<string, unknown>) => void>(
  (b) => {
    b.v = 2;
  },
  (b) => {
    b.district = 'south'; // differs from the topic
  },
  (b) => {
    b.device = 'Meter-1';
  },
  (b) => {
    b.model = 'Bench';
  },
  (b) => {
    b.measurement = 'energy meter';
  },
  (b) => {
    b.stream = 'a/b';
  },
  (b) => {
    b.seq = -1;
  },
  (b) => {
    b.seq = 1.5;
  },
  (b) => {
    b.seq = Number.MAX_SAFE_INTEGER + 2;
  },
  (b) => {
    b.sent = -5;
  },
  (b) => {
    b.readings = {};
  },
  (b) => {
    b.extra = true;
  },
  (b) => {
    delete b.stream;
  },
  (b) => {
    b.readings = [null, ...(b.readings as unknown[])];
  },
);

/**
 * A batch as a gateway usually sends it: every reading good, values numbers (any double,
 * as JSON.stringify writes them) or booleans, ASCII units — the scanner's shape.
 */
export const cleanBatch: fc.Arbitrary<DataBatch> = fc.record({
  v: fc.constant(1 as const),
  district: fc.constant(IDS.district),
  gateway: fc.constant(IDS.gateway),
  device: fc.constant(IDS.device),
  model: fc.constantFrom('bench-meter', 'eastron-sdm630'),
  measurement: fc.constantFrom('energy_meter', 'm'),
  stream: fc.constantFrom('Zq3x9', 's-1_A'),
  seq: fc.oneof(fc.nat(), fc.constant(10 ** 15 - 1)),
  sent: fc.constant(NOW),
  readings: fc.uniqueArray(
    fc.record(
      {
        point: fc.constantFrom('p0', 'p1', 'voltage_l1', 'x', 'reason_x', 'a9_b'),
        value: fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.integer(),
          fc.constantFrom(0, -0, 1e21, 5e-324, 2 ** 53, -1.5, 1e-7, 0.000001, 123.456, 0.1 + 0.2),
          fc.boolean(),
        ),
        ts: fc.constantFrom(NOW - 3_600_000, NOW - 1000, NOW, 946_684_800_000, NOW + 86_400_000),
        quality: fc.constant('good' as const),
        unit: fc.constantFrom('kW', 'V', ''),
      },
      { requiredKeys: ['point', 'value', 'ts', 'quality'] },
    ),
    { maxLength: 40, selector: (r) => `${r.ts}|${r.point}` },
  ),
});

/** A JSON payload: valid, with some readings broken, or with a broken envelope. */
export const payload = payloadOf(validBatch);

/** Payloads from `valid`: as they are, with some readings broken, or with a broken envelope. */
export function payloadOf(
  valid: fc.Arbitrary<DataBatch>,
): fc.Arbitrary<{ batch: DataBatch; json: string; kind: string }> {
  return fc
    .tuple(
      valid,
      fc.constantFrom('valid', 'valid', 'reading', 'duplicate', 'header', 'text'),
      fc.array(fc.tuple(fc.nat(), readingBreak), { minLength: 1, maxLength: 3 }),
      headerBreak,
      fc.constantFrom<(s: string) => string>(
        (s) => s.slice(0, -1),
        (s) => `\uFEFF${s}`,
        (s) => ` ${s}\n`,
        () => '[]',
        () => 'null',
      ),
    )
    .map(([batch, kind, rBreaks, hBreak, tBreak]) => {
      const b = structuredClone(batch) as unknown as Record<string, unknown>;
      const readings = b.readings as Record<string, unknown>[];
      if (kind === 'reading' && readings.length > 0)
        for (const [i, f] of rBreaks) f(readings[i % readings.length] as Record<string, unknown>);
      if (kind === 'duplicate' && readings.length > 0) {
        const [i, _] = rBreaks[0] as [number, unknown];
        const twin = { ...readings[i % readings.length], quality: 'uncertain' };
        readings.splice(i % (readings.length + 1), 0, twin);
      }
      if (kind === 'header') hBreak(b);
      let json = JSON.stringify(b);
      if (kind === 'text') json = tBreak(json);
      return { batch, json, kind };
    });
}
