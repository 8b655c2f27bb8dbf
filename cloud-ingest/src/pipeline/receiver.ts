/**
 * The receiver: an MQTT.js 5 client with a persistent session (fixed client id,
 * `clean: false`) and QoS 1 subscriptions. MQTT.js on MQTT 3.1.1 sends the PUBACK when
 * `client.handleMessage(packet, done)` calls `done`, and handles one message at a time.
 *
 * PUBACK only after the append, batched per socket read: MQTT.js parses one socket chunk
 * (typically 10–20 messages of a backlog) and hands its messages over one by one in
 * `process.nextTick` callbacks. The first message of a chunk corks the socket; every
 * message's record goes to `pending` and its `done` is called at once, so MQTT.js writes
 * its PUBACK — into the corked socket, where it stays in this process. A microtask, which
 * runs only after the whole tick chain of that chunk and before any other I/O callback,
 * appends all pending records with one `appendMany` (one `writeSync`: durable against a
 * crash of the ingest when it returns) and only then uncorks: all the chunk's PUBACKs leave
 * in one write. If that append fails, the socket is destroyed without uncorking, so those
 * PUBACKs never leave; the broker redelivers the messages on the next connection (1 s
 * later), and the receiver appends one message at a time (below) until the log accepts.
 *
 * Backpressure: when the log holds `maxLogBytes` or more (the store is down for long), or
 * the disk is full, `done` is held and the append retried every `waitMs`: the ingest stops
 * acknowledging, the broker keeps the messages queued for the session, and the gateways'
 * own buffers fill behind it. Nothing is dropped here. (Configure the log's own maxBytes —
 * which drops oldest — above this bound, or not at all.)
 */
import type { DurableLog } from '@ganzhi/durable-log';
import { type Clock, systemClock } from '@ganzhi/runtime';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { IngestMetrics } from '../metrics.js';
import { encodeLogRecord } from './log-record.js';
import type { Partition } from './partition.js';

export interface ReceiverOptions {
  url: string;
  clientId: string;
  username?: string;
  /** never logged */
  password?: string;
  partition: Partition;
  log: DurableLog;
  /** stop acknowledging when the log holds this many bytes (default 1 GiB) */
  maxLogBytes?: number;
  /** how long a held message waits before its append is tried again (default 50 ms; 1 s after a failed append) */
  waitMs?: number;
  /** what those retries wait on (default systemClock); MQTT.js keeps its own timers */
  clock?: Clock;
  metrics: IngestMetrics;
  logger: Logger;
  /** called after each append with the record's offset and bytes (wakes the writer) */
  onAppended: (offset: number, record: Buffer) => void;
  /** extra MQTT.js options (TLS: ca, cert, key, rejectUnauthorized …) */
  mqtt?: Partial<IClientOptions>;
}

export interface Receiver {
  readonly client: MqttClient;
  readonly connected: boolean;
  /** true while acks are held because the log is full */
  readonly holding: boolean;
  close(): Promise<void>;
}

/** Records appended with one write at most; a socket chunk rarely holds more. */
const MAX_PENDING = 512;
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export function startReceiver(o: ReceiverOptions): Receiver {
  const maxLogBytes = o.maxLogBytes ?? 1024 ** 3;
  const waitMs = o.waitMs ?? 50;
  const clock = o.clock ?? systemClock;
  let holding = false;
  let closed = false;
  const client = mqtt.connect(o.url, {
    protocolVersion: 4,
    clientId: o.clientId,
    clean: false,
    username: o.username,
    password: o.password,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    resubscribe: true,
    ...o.mqtt,
  });

  // The records of one socket chunk, whose PUBACKs wait in the corked socket (file comment).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let corked: MqttClient['stream'] | undefined;
  /** the log's size at the last append; the writer's acks only lower it meanwhile */
  let logBytes = o.log.stats().bytes;

  const appended = (offsets: readonly number[], recs: readonly Buffer[]): void => {
    if (holding) {
      holding = false;
      o.logger.info('log accepting again: acknowledging');
    }
    o.metrics.messages.inc(recs.length);
    for (let i = 0; i < recs.length; i++) o.onAppended(offsets[i] as number, recs[i] as Buffer);
    logBytes = o.log.stats().bytes;
  };

  const hold = (err: unknown): void => {
    if (!holding) {
      holding = true;
      o.logger.error({ err }, 'cannot append to the log: holding acknowledgements');
    }
    o.metrics.ackWaits.inc();
  };

  /** Appends the pending records, then lets their PUBACKs out (uncork). */
  const flush = (): void => {
    const recs = pending;
    const stream = corked;
    if (recs.length === 0) return; // flushed early (size bound); this is its stale microtask
    pending = [];
    pendingBytes = 0;
    corked = undefined;
    if (closed) return; // no ack: the connection is being destroyed, the broker redelivers
    let offsets: number[];
    try {
      offsets = o.log.appendMany(recs);
    } catch (err) {
      hold(err);
      // The PUBACKs of these messages are still in the corked socket: drop the connection
      // so they never leave. The broker redelivers them; meanwhile one at a time (appendOne).
      stream?.destroy();
      return;
    }
    appended(offsets, recs);
    stream?.uncork();
  };

  /** One message, `done` held until its record is appended (backpressure, disk full). */
  const appendOne = (rec: Buffer, done: () => void): void => {
    if (closed) return; // no ack: the broker redelivers to the next session
    if (o.log.stats().bytes + rec.length > maxLogBytes) {
      if (!holding) {
        holding = true;
        o.logger.warn({ maxLogBytes }, 'log full: holding acknowledgements until the store catches up');
      }
      o.metrics.ackWaits.inc();
      clock.setTimeout(() => appendOne(rec, done), waitMs);
      return;
    }
    let offset: number;
    try {
      offset = o.log.append(rec);
    } catch (err) {
      hold(err);
      clock.setTimeout(() => appendOne(rec, done), Math.max(waitMs, 1000));
      return;
    }
    appended([offset], [rec]);
    done();
  };

  client.handleMessage = (packet, done) => {
    const topic = packet.topic;
    if (!o.partition.accept(topic)) {
      o.metrics.skipped.inc();
      done();
      return;
    }
    if (closed) return; // no ack: the broker redelivers to the next session
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const rec = encodeLogRecord(topic, payload);
    if (holding || logBytes + pendingBytes + rec.length > maxLogBytes) {
      flush();
      appendOne(rec, done);
      return;
    }
    if (pending.length === 0) {
      corked = client.stream;
      corked.cork();
      queueMicrotask(flush);
    }
    pending.push(rec);
    pendingBytes += rec.length;
    done(); // MQTT.js writes the PUBACK into the corked socket: it leaves after the append
    if (pending.length >= MAX_PENDING || pendingBytes >= MAX_PENDING_BYTES) flush();
  };

  let subscribed = false;
  client.on('connect', (ack) => {
    o.logger.info(
      { sessionPresent: ack.sessionPresent, partition: o.partition.describe },
      'connected to the broker',
    );
    // Once: the persistent session keeps the subscriptions, and MQTT.js resubscribes after
    // a reconnect that finds no session.
    if (subscribed) return;
    subscribed = true;
    client.subscribe(o.partition.filters, { qos: 1 }, (err) => {
      if (err) o.logger.error({ err: { message: err.message } }, 'subscribe failed');
    });
  });
  client.on('error', (err) => o.logger.warn({ err: { message: err.message } }, 'mqtt error'));
  client.on('offline', () => o.logger.warn('broker connection lost; reconnecting'));

  return {
    client,
    get connected() {
      return client.connected;
    },
    get holding() {
      return holding;
    },
    async close() {
      closed = true;
      // Forced: a message that arrived during shutdown is deliberately left unacknowledged
      // (the broker redelivers it to the next session), and MQTT.js handles incoming packets
      // one at a time, so a graceful end would wait forever behind it (e.g. for a SUBACK).
      await client.endAsync(true);
    },
  };
}
