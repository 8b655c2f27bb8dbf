/**
 * The receiver: an MQTT.js 5 client with a persistent session (fixed client id,
 * `clean: false`) and QoS 1 subscriptions. MQTT.js on MQTT 3.1.1 sends the PUBACK when
 * `client.handleMessage(packet, done)` calls `done`, and handles one message at a time.
 * Here `done` is called only after the message is appended to the durable log (a
 * `writeSync`: it survives a crash of the ingest), which is cheap enough to keep the
 * broker the bottleneck.
 *
 * Backpressure: when the log holds `maxLogBytes` or more (the store is down for long), or
 * the disk is full, `done` is held and the append retried every `waitMs`: the ingest stops
 * acknowledging, the broker keeps the messages queued for the session, and the gateways'
 * own buffers fill behind it. Nothing is dropped here. (Configure the log's own maxBytes —
 * which drops oldest — above this bound, or not at all.)
 */
import type { DurableLog } from '@ganzhi/durable-log';
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
  waitMs?: number;
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

export function startReceiver(o: ReceiverOptions): Receiver {
  const maxLogBytes = o.maxLogBytes ?? 1024 ** 3;
  const waitMs = o.waitMs ?? 50;
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

  client.handleMessage = (packet, done) => {
    const topic = packet.topic;
    if (!o.partition.accept(topic)) {
      o.metrics.skipped.inc();
      done();
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const rec = encodeLogRecord(topic, payload);
    const tryAppend = (): void => {
      if (closed) return; // no ack: the broker redelivers to the next session
      if (o.log.stats().bytes + rec.length > maxLogBytes) {
        if (!holding) {
          holding = true;
          o.logger.warn({ maxLogBytes }, 'log full: holding acknowledgements until the store catches up');
        }
        o.metrics.ackWaits.inc();
        setTimeout(tryAppend, waitMs);
        return;
      }
      let offset: number;
      try {
        offset = o.log.append(rec);
      } catch (err) {
        if (!holding) {
          holding = true;
          o.logger.error({ err }, 'cannot append to the log: holding acknowledgements');
        }
        o.metrics.ackWaits.inc();
        setTimeout(tryAppend, Math.max(waitMs, 1000));
        return;
      }
      if (holding) {
        holding = false;
        o.logger.info('log accepting again: acknowledging');
      }
      o.metrics.messages.inc();
      o.onAppended(offset, rec);
      done();
    };
    tryAppend();
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
