import { type DataBatch, deviceTopic, encodeDataBatch } from '@ganzhi/device-profiles/contract';
import { createMemoryLog } from '@ganzhi/durable-log';
import { ManualClock } from '@ganzhi/runtime';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../test-support/process.js';
import { CompletenessTracker } from '../completeness/tracker.js';
import { IngestError } from '../errors.js';
import { ingestMetrics } from '../metrics.js';
import type { Sink } from '../sink.js';
import { createDeadLetters } from './dead-letter.js';
import { encodeLogRecord } from './log-record.js';
import { Writer } from './writer.js';

const T0 = 1_764_200_000_000;
const topic = deviceTopic('north', 'gw-1', 'meter-1', 'data');

function record(seq: number): Buffer {
  const b: DataBatch = {
    v: 1,
    district: 'north',
    gateway: 'gw-1',
    device: 'meter-1',
    model: 'bench-meter',
    measurement: 'm',
    stream: 's1',
    seq,
    sent: T0,
    readings: [{ point: 'p', value: seq, ts: T0 + seq, quality: 'good' }],
  };
  return encodeLogRecord(topic, encodeDataBatch(b));
}

describe('writer', () => {
  it('writes every record once and in log order, whether it comes from the in-memory tail or the log', async () => {
    const log = createMemoryLog();
    const written: string[] = [];
    const sink: Sink = {
      kind: 'recording',
      async write(lines, opts) {
        expect(opts?.trusted).toBe(true);
        written.push(...lines);
        return { written: lines.length, rejected: [] };
      },
      async check() {},
      async close() {},
    };
    const tracker = new CompletenessTracker();
    const metrics = ingestMetrics();
    const writer = new Writer({
      log,
      sink,
      deadLetters: createDeadLetters(undefined),
      tracker,
      metrics,
      logger: pino({ level: 'silent' }),
      batchLines: 100,
      flushMs: 5,
      // never advanced: the writer must finish on its own wake-ups (appends, settled writes)
      clock: new ManualClock(T0),
    });
    let seq = 0;
    // records the writer is not told about (a backlog from before a restart), then records it
    // is told about: it reads the first from the log, the rest from memory
    for (; seq < 50; seq++) log.append(record(seq));
    for (; seq < 60; seq++) writer.appended(log.append(record(seq)), record(seq));
    writer.start();
    // more than the tail holds, some announced out of order (a gap): the tail gives up on
    // those and the log fills in
    for (; seq < 5000; seq++) {
      const offset = log.append(record(seq));
      if (seq % 997 !== 0) writer.appended(offset, record(seq));
    }
    writer.notify();
    await waitFor('all written', () => (metrics.points.get() >= 5000 ? true : undefined), 20_000);
    await writer.stop();
    expect(written).toHaveLength(5000);
    expect(written.map((l) => Number(l.split(' ')[2]) - T0)).toEqual(
      Array.from({ length: 5000 }, (_, i) => i),
    );
    expect(tracker.figures()[0]).toMatchObject({ received: 5000, duplicates: 0, missing: 0 });
    expect(log.firstUnacked).toBe(5000);
  });
});

/** Lets the writer's promise chains and setImmediate turns run (no time passes on its clock). */
async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** A writer over `log` and `sink` on `clock`, with throwaway figures. */
function writerOn(
  log: ReturnType<typeof createMemoryLog>,
  sink: Sink,
  clock: ManualClock,
  more: Partial<ConstructorParameters<typeof Writer>[0]> = {},
): Writer {
  return new Writer({
    log,
    sink,
    deadLetters: createDeadLetters(undefined),
    tracker: new CompletenessTracker(),
    metrics: ingestMetrics(),
    logger: pino({ level: 'silent' }),
    clock,
    ...more,
  });
}

describe('writer while the store is down', () => {
  it('retries the same batch with the runtime backoff on its clock, honours Retry-After, acks only after the write', async () => {
    const clock = new ManualClock(T0);
    const log = createMemoryLog();
    const attempts: number[] = [];
    const sink: Sink = {
      kind: 'failing',
      async write(lines) {
        attempts.push(clock.now() - T0);
        if (attempts.length === 1) throw new IngestError('GZ_SINK_UNAVAILABLE', 'fault injection: down');
        if (attempts.length === 2)
          throw new IngestError('GZ_SINK_UNAVAILABLE', 'fault injection: busy', { retryAfterMs: 5000 });
        return { written: lines.length, rejected: [] };
      },
      async check() {},
      async close() {},
    };
    // jitter 0.5 at its low end: the 500 ms first delay becomes 375
    const writer = writerOn(log, sink, clock, { random: () => 0 });
    writer.appended(log.append(record(0)), record(0));
    writer.start();
    await turns();
    expect(attempts).toEqual([0]);
    expect(writer.healthy).toBe(false);
    await clock.advanceAsync(374, 1);
    await turns();
    expect(attempts).toEqual([0]);
    await clock.advanceAsync(1, 1);
    await turns();
    expect(attempts).toEqual([0, 375]); // then the store asks for 5 s
    await clock.advanceAsync(4999, 100);
    await turns();
    expect(attempts).toEqual([0, 375]);
    expect(log.firstUnacked).toBe(0); // nothing acknowledged while unwritten
    await clock.advanceAsync(1, 1);
    await turns();
    expect(attempts).toEqual([0, 375, 5375]);
    expect(writer.healthy).toBe(true);
    expect(log.firstUnacked).toBe(1);
    await writer.stop();
  });

  it('gives up at stop() after the timeout on its clock, leaving the record in the log', async () => {
    const clock = new ManualClock(T0);
    const log = createMemoryLog();
    const sink: Sink = {
      kind: 'down',
      async write() {
        throw new IngestError('GZ_SINK_UNAVAILABLE', 'fault injection: down');
      },
      async check() {},
      async close() {},
    };
    const writer = writerOn(log, sink, clock);
    writer.appended(log.append(record(0)), record(0));
    writer.start();
    await turns();
    let stopped = false;
    const stopping = writer.stop(2000).then(() => {
      stopped = true;
    });
    await clock.advanceAsync(1999, 100);
    await turns();
    expect(stopped).toBe(false);
    await clock.advanceAsync(1, 1);
    await stopping;
    expect(log.firstUnacked).toBe(0);
  });
});
