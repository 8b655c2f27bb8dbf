/**
 * The gateway as a Sparkplug B edge node (Sparkplug 3.0 §4, §5.4–5.7, §6.4.19–6.4.26).
 *
 * Session: CONNECT (clean session) with the NDEATH Will {bdSeq} at QoS 1, not retained; bdSeq
 * +1 on every CONNECT, persisted (bdseq.ts). Subscribe NCMD and DCMD of this node at QoS 1 (and
 * the primary host's STATE when configured), then — once that host is online — NBIRTH (seq 0,
 * bdSeq, `Node Control/Rebirth` = false without alias) and one DBIRTH per device (every point
 * with name, alias, datatype, current value, unit as `engUnit`), all QoS 0, not retained. Then
 * DDATA by alias only, seq +1 per message wrapping 255 → 0; DDEATH when a device goes down and
 * DBIRTH when it comes back. NCMD `Node Control/Rebirth` = true: the births again, same bdSeq.
 * A stop publishes NDEATH, then DISCONNECT. The primary host going offline (its STATE, newer
 * than the last one seen): NDEATH, disconnect, start over.
 *
 * Data: every batch is appended to this node's own durable log first. The log is published in
 * order while the session is up; a record appended before the current births is sent with
 * `is_historical` set (the backlog of an outage, replayed with its source timestamps). A DATA
 * message is acknowledged in the log once MQTT.js has written it to the socket — QoS 0 has no
 * PUBACK, so a message lost with the connection is not resent (see edge-agent/README.md).
 */
import { type Profile, type Reading, sparkplug, type WireReading } from '@ganzhi/device-profiles';
import type { DurableLog } from '@ganzhi/durable-log';
import type { Clock } from '@ganzhi/runtime';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { toWire } from '../batcher.js';
import type { BdSeq } from './bdseq.js';
import { type DeviceModel, type PointDef, SparkplugModel } from './model.js';

const {
  DataType,
  decodePayload,
  decodeHostState,
  deviceTopicSpb,
  encodePayload,
  nodeTopic,
  stateTopic,
  typedValue,
} = sparkplug;

export interface EdgeNodeOptions {
  group: string;
  node: string;
  primaryHostId?: string;
  url: string;
  mqtt: IClientOptions;
  devices: { id: string; profile: Profile }[];
  agentVersion: string;
}

export interface EdgeNodeDeps {
  log: DurableLog;
  bdSeq: BdSeq;
  clock: Clock;
  logger: Logger;
  connect: (url: string, opts: IClientOptions) => MqttClient;
}

export interface EdgeNodeCounters {
  births: number;
  rebirthsRequested: number;
  dataPublished: number;
  historicalPublished: number;
  connects: number;
}

interface Rec {
  d: string;
  r: WireReading[];
}

export class SparkplugEdgeNode {
  private client: MqttClient | undefined;
  private seq = 0;
  private birthed = false;
  private subscribed = false;
  private hostOnline: boolean;
  private hostTs = -1;
  private stopping = false;
  private pumping = false;
  /** records at or after this offset are live data of the current births */
  private liveFrom = 0;
  private readPos: number;
  private readonly model: SparkplugModel;
  private readonly dead = new Set<string>();
  readonly counters: EdgeNodeCounters = {
    births: 0,
    rebirthsRequested: 0,
    dataPublished: 0,
    historicalPublished: 0,
    connects: 0,
  };

  constructor(
    private readonly o: EdgeNodeOptions,
    private readonly deps: EdgeNodeDeps,
  ) {
    this.model = new SparkplugModel(o.devices);
    this.hostOnline = o.primaryHostId === undefined;
    this.readPos = deps.log.firstUnacked;
  }

  get online(): boolean {
    return this.birthed;
  }

  /** Appends one device's readings (durable), then publishes what the session allows. */
  write(device: string, readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    const wire = readings.map(toWire);
    this.model.remember(device, wire);
    this.deps.log.append(Buffer.from(JSON.stringify({ d: device, r: wire } satisfies Rec)));
    this.pump();
  }

  /** A device went down (DDEATH) or came back (DBIRTH). */
  deviceState(device: string, up: boolean): void {
    if (!up && !this.dead.has(device)) {
      this.dead.add(device);
      if (this.birthed)
        this.publish(deviceTopicSpb(this.o.group, 'DDEATH', this.o.node, device), {
          timestamp: this.deps.clock.now(),
          seq: this.nextSeq(),
          metrics: [],
        });
    } else if (up && this.dead.delete(device) && this.birthed) {
      const d = this.model.device(device);
      if (d) this.publishDeviceBirth(d);
    }
  }

  start(): void {
    const o = this.o;
    const will = (): IClientOptions['will'] => ({
      topic: nodeTopic(o.group, 'NDEATH', o.node),
      payload: Buffer.from(this.deathPayload(this.deps.bdSeq.next())),
      qos: 1,
      retain: false,
    });
    const client = this.deps.connect(o.url, {
      ...o.mqtt,
      protocolVersion: 4,
      clean: true,
      resubscribe: false,
      writeCache: false, // no 6 MB table of packet-id buffers (see uplink.ts)
      will: will(),
    });
    this.client = client;
    // every new CONNECT carries the next bdSeq (tck-id-topics-nbirth-bdseq-increment)
    client.prependListener('close', () => {
      this.birthed = false;
      this.subscribed = false;
      if (!this.stopping) client.options.will = will();
    });
    client.on('connect', () => this.onConnect());
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => this.deps.logger.warn({ err: err.message }, 'Sparkplug uplink error'));
  }

  private onConnect(): void {
    const o = this.o;
    this.counters.connects++;
    this.hostOnline = o.primaryHostId === undefined;
    const filters: Record<string, { qos: 0 | 1 }> = {
      [nodeTopic(o.group, 'NCMD', o.node)]: { qos: 1 }, // tck-id-message-flow-edge-node-ncmd-subscribe
      [`${sparkplug.SPB_NAMESPACE}/${o.group}/DCMD/${o.node}/+`]: { qos: 1 },
    };
    if (o.primaryHostId !== undefined) filters[stateTopic(o.primaryHostId)] = { qos: 1 };
    this.client?.subscribe(filters, (err) => {
      if (err) {
        this.deps.logger.error({ err: err.message }, 'Sparkplug subscribe failed');
        return;
      }
      this.subscribed = true;
      this.maybeBirth();
    });
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = sparkplug.parseSparkplugTopic(topic);
    if (!t) return;
    if (t.kind === 'state') {
      this.onHostState(t.hostId, payload);
      return;
    }
    if (t.type !== 'NCMD') {
      this.deps.logger.info({ topic }, 'Sparkplug command ignored: only Node Control/Rebirth is supported');
      return;
    }
    let p: sparkplug.Payload;
    try {
      p = decodePayload(payload);
    } catch (err) {
      this.deps.logger.warn({ topic, err: (err as Error).message }, 'NCMD not decodable');
      return;
    }
    const rebirth = p.metrics.find((m) => m.name === 'Node Control/Rebirth');
    const v = rebirth ? typedValue(DataType.Boolean, rebirth.raw) : undefined;
    if (v?.ok && v.value === true) {
      this.counters.rebirthsRequested++;
      this.deps.logger.info('Rebirth requested by the host');
      if (this.birthed) this.publishBirths(); // tck-id-operational-behavior-data-commands-rebirth-action-*
    }
  }

  private onHostState(hostId: string, payload: Buffer): void {
    if (hostId !== this.o.primaryHostId) return; // tck-id-message-flow-edge-node-birth-publish-phid-wait-id
    const s = decodeHostState(payload);
    if (!s.ok) return;
    if (s.value.timestamp < this.hostTs) return; // older than the last seen: ignored
    this.hostTs = s.value.timestamp;
    this.hostOnline = s.value.online;
    if (s.value.online) {
      this.maybeBirth();
      return;
    }
    if (this.birthed) {
      // tck-id-message-flow-edge-node-birth-publish-phid-offline: NDEATH, disconnect, start over
      this.deps.logger.warn({ host: hostId }, 'primary host offline: NDEATH and reconnect');
      const c = this.client;
      this.birthed = false;
      c?.publish(
        nodeTopic(this.o.group, 'NDEATH', this.o.node),
        Buffer.from(this.deathPayload(this.deps.bdSeq.current)),
        { qos: 1 },
        () => {
          c.end(false, {}, () => c.reconnect());
        },
      );
    }
  }

  private maybeBirth(): void {
    if (this.subscribed && this.hostOnline && !this.birthed && this.client?.connected) this.publishBirths();
  }

  private publishBirths(): void {
    const now = this.deps.clock.now();
    this.seq = 0;
    this.liveFrom = this.deps.log.nextOffset;
    this.publish(nodeTopic(this.o.group, 'NBIRTH', this.o.node), {
      timestamp: now,
      seq: 0,
      metrics: [
        { name: 'bdSeq', timestamp: now, datatype: DataType.Int64, value: this.deps.bdSeq.current },
        { name: 'Node Control/Rebirth', timestamp: now, datatype: DataType.Boolean, value: false },
        {
          name: 'Properties/Agent Version',
          timestamp: now,
          datatype: DataType.String,
          value: this.o.agentVersion,
        },
      ],
    });
    for (const d of this.model.devices()) if (!this.dead.has(d.id)) this.publishDeviceBirth(d);
    this.birthed = true;
    this.counters.births++;
    this.readPos = this.deps.log.firstUnacked; // replay everything not yet sent
    this.pump();
  }

  private publishDeviceBirth(d: DeviceModel): void {
    const now = this.deps.clock.now();
    this.publish(deviceTopicSpb(this.o.group, 'DBIRTH', this.o.node, d.id), {
      timestamp: now,
      seq: this.nextSeq(),
      metrics: d.points.map((p) => this.model.birthMetric(d.id, p, now)),
    });
  }

  /** Publishes the log from readPos while births are done. */
  private pump(): void {
    if (this.pumping || this.stopping || !this.birthed || !this.client?.connected) return;
    this.pumping = true;
    try {
      for (;;) {
        const recs = this.deps.log.readFrom(this.readPos, { records: 200 });
        if (recs.length === 0) break;
        for (const { offset, payload } of recs) {
          this.readPos = offset + 1;
          const rec = JSON.parse(payload.toString()) as Rec;
          const historical = offset < this.liveFrom;
          if (!this.dead.has(rec.d) && this.model.device(rec.d)) this.publishData(rec, historical, offset);
          else this.deps.log.ack(offset); // a device that is down has no Sparkplug session
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private publishData(rec: Rec, historical: boolean, offset: number): void {
    const metrics = rec.r.flatMap((r) => {
      const p = this.model.point(rec.d, r.point);
      return p ? [dataMetric(p, r, historical)] : [];
    });
    this.counters.dataPublished++;
    if (historical) this.counters.historicalPublished++;
    this.publish(
      deviceTopicSpb(this.o.group, 'DDATA', this.o.node, rec.d),
      { timestamp: this.deps.clock.now(), seq: this.nextSeq(), metrics },
      (err) => {
        if (!err) this.deps.log.ack(offset);
      },
    );
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % 256;
    return this.seq;
  }

  /** QoS 0, not retained: every Sparkplug message an edge node publishes but its NDEATH. */
  private publish(topic: string, p: sparkplug.PayloadIn, done?: (err?: Error) => void): void {
    this.client?.publish(topic, Buffer.from(encodePayload(p)), { qos: 0, retain: false }, (err) =>
      done?.(err),
    );
  }

  private deathPayload(bdSeq: number): Uint8Array {
    // tck-id-topics-ndeath-payload: only bdSeq; tck-id-topics-ndeath-seq: no seq
    return encodePayload({
      timestamp: this.deps.clock.now(),
      metrics: [{ name: 'bdSeq', datatype: DataType.Int64, value: bdSeq }],
    });
  }

  /** NDEATH, then DISCONNECT (tck-id-operational-behavior-edge-node-intentional-disconnect-*). */
  async stop(): Promise<void> {
    this.stopping = true;
    const c = this.client;
    if (!c) return;
    if (c.connected) {
      await new Promise<void>((resolve) => {
        c.publish(
          nodeTopic(this.o.group, 'NDEATH', this.o.node),
          Buffer.from(this.deathPayload(this.deps.bdSeq.current)),
          { qos: 1 },
          () => resolve(),
        );
        setTimeout(resolve, 1000).unref();
      });
    }
    await new Promise<void>((resolve) => c.end(false, {}, () => resolve()));
  }
}

function dataMetric(p: PointDef, r: WireReading, historical: boolean): sparkplug.MetricIn {
  const m: sparkplug.MetricIn = {
    alias: p.alias,
    timestamp: r.ts,
    datatype: p.datatype,
    value: p.encode(r.value),
  };
  if (historical) m.isHistorical = true;
  if (r.quality !== 'good') {
    m.properties = {
      Quality: { type: DataType.Int32, value: r.quality === 'bad' ? 0 : 500 },
      ...(r.reason ? { reason: { type: DataType.String, value: r.reason } } : {}),
    };
  }
  // the datatype is known from the birth: not sent in DATA (tck-id-payloads-metric-datatype-not-req)
  m.omitDatatype = true;
  return m;
}
