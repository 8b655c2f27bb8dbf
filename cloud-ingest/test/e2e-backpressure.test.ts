/**
 * Backpressure and scale-out, in process with the real broker: a store that is down fills
 * the log until the ingest stops acknowledging (nothing dropped, everything stored once
 * when the store is back); two workers splitting gateways by hash store every reading
 * exactly once between them; completeness points reach the store.
 */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { IngestError } from '../src/errors.js';
import { type Ingest, startIngest } from '../src/ingest.js';
import type { Sink } from '../src/sink.js';
import { createSqliteSink, type SqliteSink } from '../src/sinks/sqlite-sink.js';
import {
  batch,
  connectPublisher,
  type Gw,
  publishBatch,
  startBroker,
  type TestBroker,
  testConfig,
} from './e2e-helpers.js';

const logger = pino({ level: 'silent' });
const count = (db: SqliteSink['db'], where = "measurement = 'energy_meter'") =>
  (db.prepare(`SELECT COUNT(*) AS n FROM readings_v WHERE ${where}`).get() as { n: number }).n;

/** Fault injection: a SQLite sink behind a switch; while "down" every write fails retriable. */
function switchableSink(file: string): SqliteSink & { down: boolean } {
  const inner = createSqliteSink({ file });
  const s = {
    kind: 'sqlite-switchable',
    down: true,
    db: inner.db,
    reader: inner.reader,
    async write(lines: readonly string[]) {
      if (s.down) throw new IngestError('GZ_SINK_UNAVAILABLE', 'fault injection: store down');
      return inner.write(lines);
    },
    check: () => (s.down ? Promise.reject(new IngestError('GZ_SINK_UNAVAILABLE', 'down')) : inner.check()),
    close: () => inner.close(),
  };
  return s;
}

describe('backpressure and partitions', () => {
  let broker: TestBroker;
  let pub: MqttClient;
  const T0 = Date.now() - 3600_000;

  beforeAll(async () => {
    broker = await startBroker();
    pub = await connectPublisher(broker.url);
  });
  afterAll(async () => {
    await pub?.endAsync();
    await broker?.close();
  });

  it('store down: the log fills, acks are held at the bound, nothing is dropped', async () => {
    const dir = tempDir('ganzhi-e2e-bp-');
    const sink = switchableSink(join(dir, 'ingest.db'));
    const cfg = testConfig(dir, broker.url, { type: 'null' }, {});
    cfg.log.holdAckAtBytes = 1_000_000;
    const ingest = await startIngest(cfg, { logger, sink: sink as Sink });
    try {
      await waitFor('connected', () => ingest.receiver.connected || undefined);
      const gw: Gw = { district: 'd', gateway: 'gw-bp', device: 'm', stream: 'bp' };
      const n = 1000; // ~1.7 MB of payload: more than the bound
      const publishing = (async () => {
        for (let s = 0; s < n; s += 50) {
          await Promise.all(
            Array.from({ length: 50 }, (_, k) =>
              publishBatch(pub, batch(gw, s + k, T0 + (s + k) * 1000, 20)),
            ),
          );
        }
      })();
      await waitFor('acks held', () => (ingest.receiver.holding ? true : undefined));
      expect(ingest.metrics.ackWaits.get()).toBeGreaterThan(0);
      expect(ingest.metrics.messages.get()).toBeLessThan(n);
      expect((await ingest.http.inject({ url: '/readyz' })).statusCode).toBe(503);
      sink.down = false;
      await publishing;
      await waitFor('all stored', () => (count(sink.db) === n * 20 ? true : undefined), 20_000);
      expect(ingest.tracker.figures()[0]).toMatchObject({ received: n, missing: 0 });
    } finally {
      await ingest.close();
    }
  });

  it('graceful close flushes the log to the store; if the store stays down, the next start does', async () => {
    const dir = tempDir('ganzhi-e2e-close-');
    const sink = switchableSink(join(dir, 'ingest.db'));
    const cfg = testConfig(dir, broker.url, { type: 'null' });
    cfg.mqtt.clientId = 'close-test-ingest';
    let ingest = await startIngest(cfg, { logger, sink: sink as Sink });
    await waitFor('connected', () => ingest.receiver.connected || undefined);
    const gw: Gw = { district: 'd', gateway: 'gw-close', device: 'm', stream: 'c' };
    for (let s = 0; s < 20; s++) await publishBatch(pub, batch(gw, s, T0 + s * 1000));
    await waitFor('appended', () => (ingest.metrics.messages.get() === 20 ? true : undefined));
    // the store stays down: close gives up after the timeout, the records stay in the log
    await ingest.close({ flushTimeoutMs: 300 });
    const reader = () => createSqliteSink({ file: join(dir, 'ingest.db') });
    let r = reader();
    expect(count(r.db)).toBe(0);
    await r.close();
    for (let s = 20; s < 30; s++) await publishBatch(pub, batch(gw, s, T0 + s * 1000)); // queued at the broker
    const sink2 = switchableSink(join(dir, 'ingest.db'));
    ingest = await startIngest(cfg, { logger, sink: sink2 as Sink });
    await waitFor('replayed and received', () => (ingest.metrics.messages.get() === 10 ? true : undefined));
    sink2.down = false; // back just as we shut down: close waits for the write
    await ingest.close();
    r = reader();
    expect(count(r.db)).toBe(30 * 5);
    await r.close();
  });

  it('two workers split by gateway hash store every reading exactly once between them', async () => {
    const workers: Ingest[] = [];
    const sinks: SqliteSink[] = [];
    try {
      for (const index of [0, 1]) {
        const dir = tempDir(`ganzhi-e2e-part${index}-`);
        const sink = createSqliteSink({ file: join(dir, 'ingest.db') });
        sinks.push(sink);
        const cfg = testConfig(
          dir,
          broker.url,
          { type: 'null' },
          { partition: { by: 'gateway-hash', index, count: 2 } },
        );
        cfg.completeness.writeEveryMs = 100;
        workers.push(await startIngest(cfg, { logger, sink }));
      }
      await waitFor('connected', () => workers.every((w) => w.receiver.connected) || undefined);
      await new Promise((r) => setTimeout(r, 200));
      const gws: Gw[] = Array.from({ length: 8 }, (_, g) => ({
        district: 'p',
        gateway: `gw-p${g}`,
        device: 'm',
        stream: `s${g}`,
      }));
      for (let s = 0; s < 10; s++)
        for (const gw of gws) await publishBatch(pub, batch(gw, s, T0 + s * 1000, 2));
      const total = () => sinks.reduce((n, s) => n + count(s.db), 0);
      await waitFor('all stored', () => (total() === 8 * 10 * 2 ? true : undefined));
      const owned = workers.map((w) => w.tracker.figures().map((g) => g.gateway));
      expect([...owned[0]!, ...owned[1]!].sort()).toEqual(gws.map((g) => g.gateway).sort());
      expect(owned[0]!.filter((g) => owned[1]!.includes(g))).toEqual([]);
      expect(workers.every((w) => w.metrics.skipped.get() > 0)).toBe(true);
      // completeness points land in the store (the completeness_v view; readings_v is readings only)
      const figures = (db: SqliteSink['db']) =>
        (
          db.prepare('SELECT COUNT(*) AS n FROM completeness_v WHERE received IS NOT NULL').get() as {
            n: number;
          }
        ).n;
      await waitFor('ingest_completeness points', () => (figures(sinks[0]!.db) > 0 ? true : undefined));
    } finally {
      for (const w of workers) await w.close();
    }
  });
});
