/**
 * Payload fuzz: malformed contract envelopes, published over real MQTT to a real Aedes
 * broker into the real ingest (SQLite store), interleaved with valid batches. Afterwards:
 * every malformed message / reading is dead-lettered with a reason (file and metric, exact
 * counts), nothing of them is stored, every valid batch is stored intact, and the ingest is
 * still up and ready.
 *
 * Seeded: the seed is in the test name; replay with GZ_FUZZ_SEED=<seed>. GZ_FUZZ_N sets the
 * number of messages (default 20 000 here; bench/fuzz-payloads.bench.mjs runs 100 000).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ID_PATTERN } from '@ganzhi/device-profiles';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { type Ingest, startIngest } from '../src/ingest.js';
import { connectPublisher, startBroker, type TestBroker, testConfig } from './e2e-helpers.js';
import { type ExpectedRow, type FuzzItem, PayloadGenerator } from './fuzz/payload-gen.js';
import { fuzzCount, fuzzSeed, seededRng } from './fuzz/seeded-random.js';

const SEED = fuzzSeed();
const N = fuzzCount(20_000);
/** GZ_FUZZ_MALFORMED: send until this many whole messages are malformed (the full run: 100 000) */
const MALFORMED = Number(process.env.GZ_FUZZ_MALFORMED) || 0;
const logger = pino({ level: 'silent' });

/** what the dead letter of each malformed message must say, by generator label */
const REASONS: [RegExp, RegExp][] = [
  [/^(truncated|not-json|empty)$/, /not JSON/],
  [/^not-utf8$/, /not valid UTF-8/],
  [/^random-bytes$/, /not valid UTF-8|not JSON|\(root\)|Expected/],
  [/^ids-differ-/, /differ from the topic/],
  [/^bad-topic$/, /topic is not in contract v1/],
  [/^bad-command$/, /^command: /],
];

const SIZE = MALFORMED > 0 ? `until ${MALFORMED} malformed messages` : `${N} messages`;

describe(`payload fuzz at the ingest (seed ${SEED}, ${SIZE}; replay: GZ_FUZZ_SEED=${SEED})`, () => {
  let broker: TestBroker;
  let pub: MqttClient;
  let ingest: Ingest;
  let dir: string;

  beforeAll(async () => {
    broker = await startBroker();
    dir = tempDir('ganzhi-fuzz-payloads-');
    const subscribed = new Promise<void>((r) => broker.broker.once('subscribe', () => r()));
    ingest = await startIngest(
      testConfig(
        dir,
        broker.url,
        { type: 'sqlite', file: join(dir, 'ingest.db') },
        { batch: { lines: 2000 } },
      ),
      { logger },
    );
    await subscribed;
    pub = await connectPublisher(broker.url);
  });
  afterAll(async () => {
    await pub?.endAsync();
    await ingest?.close();
    await broker?.close();
  });

  it(
    'dead-letters every malformed message and reading with a reason, stores none of them, stores every valid batch intact, and stays up',
    async () => {
      const rng = seededRng(SEED);
      const now = Date.now();
      const gen = new PayloadGenerator(rng, now - 20 * 86_400_000, now);
      const t0 = performance.now();
      let delivered = 0;
      let messageDl = 0;
      let readingDl = 0;
      const rows: ExpectedRow[] = [];
      const malformed: FuzzItem[] = [];
      const labels = new Map<string, number>();
      const inFlight = new Set<Promise<unknown>>();
      let sent = 0;
      for (; MALFORMED > 0 ? messageDl < MALFORMED : sent < N; sent++) {
        const it = gen.next();
        labels.set(it.label, (labels.get(it.label) ?? 0) + 1);
        if (it.expect !== 'not-delivered') delivered++;
        if (it.expect === 'message') {
          messageDl++;
          malformed.push(it);
        }
        readingDl += it.badReadings;
        for (const r of it.rows) rows.push(r);
        const p = pub.publishAsync(it.topic, it.payload, { qos: 1 });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= 200) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      const publishedMs = performance.now() - t0;

      await waitFor(
        'every delivered message processed',
        () => (ingest.metrics.messages.get() === delivered && ingest.writer.depth === 0 ? true : undefined),
        60_000 + Math.max(N, MALFORMED * 2) * 3,
      );
      const doneMs = performance.now() - t0;

      // dead letters: exact counts in the metric, the /metrics text and the file, each with a reason
      const m = ingest.metrics.deadLetters;
      expect({ message: m.get({ kind: 'message' }), reading: m.get({ kind: 'reading' }) }).toEqual({
        message: messageDl,
        reading: readingDl,
      });
      expect(m.get({ kind: 'line' })).toBe(0);
      const text = (await ingest.http.inject({ url: '/metrics' })).body;
      expect(text).toContain(`ganzhi_ingest_dead_letters_total{kind="message"} ${messageDl}`);
      expect(text).toContain(`ganzhi_ingest_dead_letters_total{kind="reading"} ${readingDl}`);
      const lines = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { kind: string; reason?: unknown; topic?: string });
      const dlMessages = lines.filter((l) => l.kind === 'message');
      expect(dlMessages).toHaveLength(messageDl);
      expect(lines.filter((l) => l.kind === 'reading')).toHaveLength(readingDl);
      for (const l of lines) expect(typeof l.reason === 'string' && l.reason.length > 0).toBe(true);
      // in log order = publish order: each malformed message's dead letter says why
      for (let i = 0; i < malformed.length; i++) {
        const item = malformed[i] as FuzzItem;
        const dl = dlMessages[i] as { reason: string; topic?: string };
        expect(dl.topic, `dead letter ${i} (${item.label})`).toBe(item.topic);
        const want = REASONS.find(([label]) => label.test(item.label))?.[1];
        if (want) expect(dl.reason, `dead letter ${i} (${item.label})`).toMatch(want);
      }

      // the store holds exactly the valid readings, intact, and nothing else
      const db = ingest.sink.kind === 'sqlite' ? await openReadOnly(join(dir, 'ingest.db')) : undefined;
      if (!db) throw new Error('expected the SQLite store');
      try {
        const stored = db
          .prepare('SELECT device, ts, point, value, text, quality, reason FROM readings_v')
          .all() as ExpectedRow[];
        expect(stored.length).toBe(rows.length);
        const byKey = new Map(stored.map((r) => [`${r.device}|${r.ts}|${r.point}`, r]));
        for (const want of rows) {
          const got = byKey.get(`${want.device}|${want.ts}|${want.point}`);
          expect(got, `${want.device} ${want.ts} ${want.point}`).toEqual({
            ...want,
            value: want.value === 0 ? 0 : want.value, // SQLite has no -0
          });
        }
        const series = db
          .prepare('SELECT measurement, district, gateway, device, model, tags FROM series')
          .all() as Record<string, string>[];
        const known = new Set(gen.gateways.map((g) => `${g.district}/${g.gateway}/${g.device}`));
        for (const s of series) {
          expect(s.measurement).toBe('fuzz');
          expect(s.model).toBe('eastron-sdm630');
          expect(known.has(`${s.district}/${s.gateway}/${s.device}`), JSON.stringify(s)).toBe(true);
          for (const tag of [s.district, s.gateway, s.device]) expect(tag).toMatch(ID_PATTERN);
        }
      } finally {
        db.close();
      }

      expect(ingest.metrics.points.get()).toBe(withValue(rows));

      // still up: ready, and a batch sent now is stored
      expect((await ingest.http.inject({ url: '/readyz' })).statusCode).toBe(200);
      expect(ingest.receiver.connected).toBe(true);
      const before = ingest.metrics.points.get();
      let last = gen.next();
      while (last.expect !== 'stored') last = gen.next();
      await pub.publishAsync(last.topic, last.payload, { qos: 1 });
      await waitFor('the last message processed', () =>
        ingest.metrics.messages.get() === delivered + 1 && ingest.writer.depth === 0 ? true : undefined,
      );
      // ganzhi_ingest_points_total counts readings written with a value (the contract's
      // toLineProtocol `points`); a not-good reading with a null value is stored by its quality
      // and reason alone and is not counted (seed 2002904127: the last batch had one)
      expect(ingest.metrics.points.get() - before).toBe(withValue(last.rows));
      const lastRow = last.rows[0] as ExpectedRow;
      const after = await openReadOnly(join(dir, 'ingest.db'));
      try {
        const got = after
          .prepare(
            'SELECT device, ts, point, value, text, quality, reason FROM readings_v WHERE device = ? AND ts = ? ORDER BY point',
          )
          .all(lastRow.device, lastRow.ts);
        expect(got).toEqual(sortRows(last.rows.map((r) => ({ ...r, value: r.value === 0 ? 0 : r.value }))));
      } finally {
        after.close();
      }

      const summary = {
        seed: SEED,
        messages: sent,
        delivered,
        deadLetters: { message: messageDl, reading: readingDl },
        validRows: rows.length,
        publishedMs: Math.round(publishedMs),
        processedMs: Math.round(doneMs),
        labels: Object.fromEntries([...labels].sort()),
      };
      if (process.env.GZ_FUZZ_SUMMARY) writeFileSync(process.env.GZ_FUZZ_SUMMARY, JSON.stringify(summary));
    },
    120_000 + Math.max(N, MALFORMED * 2) * 5,
  );
});

/** the rows that carry a value (number, boolean or string): what the points metric counts */
function withValue(rows: readonly ExpectedRow[]): number {
  return rows.filter((r) => r.value !== null || r.text !== null).length;
}

function sortRows(rows: readonly ExpectedRow[]): ExpectedRow[] {
  return [...rows].sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : 0));
}

async function openReadOnly(file: string) {
  const { default: Database } = await import('better-sqlite3');
  return new Database(file, { readonly: true, fileMustExist: true });
}
