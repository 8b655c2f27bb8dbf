/**
 * The receiver against the real broker (in-process Aedes, real sockets): PUBACKs of a
 * backlog go out per socket read after one append of all its messages, and never for a
 * message that is not in the log — with the log failing (fault injection: disk full), the
 * broker gets no PUBACK for what was not appended and redelivers it; nothing is lost.
 */
import { createMemoryLog, type DurableLog, DurableLogError } from '@ganzhi/durable-log';
import { type Clock, ManualClock, systemClock } from '@ganzhi/runtime';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test-support/process.js';
import { ingestMetrics } from '../src/metrics.js';
import { decodeLogRecord } from '../src/pipeline/log-record.js';
import { makePartition } from '../src/pipeline/partition.js';
import { type Receiver, startReceiver } from '../src/pipeline/receiver.js';
import { connectPublisher, startBroker, type TestBroker } from './e2e-helpers.js';

const logger = pino({ level: 'silent' });
const topic = 'gz/v1/d/gw-r/m/data';

/** Fault injection: a memory log that counts appends and, while `full`, refuses them. */
function faultyLog(): DurableLog & { full: boolean; appendCalls: number } {
  const inner = createMemoryLog();
  const diskFull = () =>
    new DurableLogError('GZ_LOG_DISK_FULL', 'fault injection: disk full', { retriable: true });
  const log = {
    full: false,
    appendCalls: 0,
    append(p: Uint8Array) {
      log.appendCalls++;
      if (log.full) throw diskFull();
      return inner.append(p);
    },
    appendMany(ps: readonly Uint8Array[]) {
      log.appendCalls++;
      if (log.full) throw diskFull();
      return inner.appendMany(ps);
    },
    readFrom: (offset: number, max?: Parameters<DurableLog['readFrom']>[1]) => inner.readFrom(offset, max),
    ack: (offset: number) => inner.ack(offset),
    ackThrough: (offset: number) => inner.ackThrough(offset),
    get firstUnacked() {
      return inner.firstUnacked;
    },
    get nextOffset() {
      return inner.nextOffset;
    },
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
  return log;
}

/** The payloads (as text) in the log, in order. */
const logged = (log: DurableLog): string[] =>
  log
    .readFrom(log.firstUnacked, { records: 100_000 })
    .map((r) => String(decodeLogRecord(r.payload)?.payload));

describe('receiver', () => {
  let broker: TestBroker;
  let pub: MqttClient;
  /** payloads the broker got a PUBACK for from the ingest's session, and whether the log had them then */
  let acks: { payload: string; inLog: boolean }[];
  let watchedLog: DurableLog | undefined;

  beforeAll(async () => {
    broker = await startBroker();
    pub = await connectPublisher(broker.url);
    broker.broker.on('ack', (packet, client) => {
      if (!client?.id.startsWith('recv-test-') || !packet || !('payload' in packet) || !watchedLog) return;
      const payload = String(packet.payload);
      acks.push({ payload, inLog: logged(watchedLog).includes(payload) });
    });
  });
  afterAll(async () => {
    await pub?.endAsync();
    await broker?.close();
  });

  async function start(log: DurableLog, clientId: string, clock: Clock = systemClock): Promise<Receiver> {
    acks = [];
    watchedLog = log;
    const r = startReceiver({
      url: broker.url,
      clientId,
      partition: makePartition({ by: 'none' }),
      log,
      waitMs: 20,
      metrics: ingestMetrics(),
      logger,
      onAppended: () => {},
      clock,
      mqtt: { reconnectPeriod: 100 },
    });
    await waitFor('connected', () => r.connected || undefined);
    await new Promise((res) => setTimeout(res, 100)); // subscribed
    return r;
  }

  it('acknowledges a backlog after appending it, several messages per append', async () => {
    const log = faultyLog();
    const r = await start(log, 'recv-test-batch');
    try {
      const sent = Array.from({ length: 300 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(500)}"}`);
      await Promise.all(sent.map((p) => pub.publishAsync(topic, p, { qos: 1 })));
      await waitFor('all acknowledged', () => (acks.length === sent.length ? true : undefined));
      expect(logged(log)).toEqual(sent);
      expect(acks.every((a) => a.inLog)).toBe(true);
      // the batched path ran: fewer appends than messages
      expect(log.appendCalls).toBeLessThan(sent.length);
    } finally {
      await r.close();
    }
  });

  it('disk full: no PUBACK for a message not in the log; the broker redelivers, nothing is lost', async () => {
    const log = faultyLog();
    // the receiver's append retries wait on this clock; MQTT.js' reconnects are real
    const clock = new ManualClock(0);
    const r = await start(log, 'recv-test-full', clock);
    try {
      log.full = true;
      const sent = Array.from({ length: 40 }, (_, i) => `{"m":${i}}`);
      const publishing = Promise.all(sent.map((p) => pub.publishAsync(topic, p, { qos: 1 })));
      await waitFor('append refused', () => (log.appendCalls > 0 ? true : undefined));
      await waitFor('holding', () => (r.holding ? true : undefined));
      // the connection was dropped, the broker redelivered, and a held message's append failed
      // again: it now waits for its retry on the clock
      await waitFor('a redelivered message refused too', () => (log.appendCalls >= 2 ? true : undefined));
      expect(acks).toEqual([]);
      expect(logged(log)).toEqual([]);
      log.full = false;
      await new Promise((res) => setTimeout(res, 300));
      expect(logged(log)).toEqual([]); // the retry has not come due: time has not passed on the clock
      await waitFor('every message in the log', () => {
        clock.advance(1000);
        return sent.every((p) => logged(log).includes(p)) ? true : undefined;
      });
      await publishing;
      await waitFor('no longer holding', () => (r.holding ? undefined : true));
      expect(acks.every((a) => a.inLog)).toBe(true);
    } finally {
      await r.close();
    }
  });
});
