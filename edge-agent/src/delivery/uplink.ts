/**
 * The uplink: durable store-and-forward from the gateway's log to the MQTT broker.
 *
 * Every batch is appended to the durable log before anything is sent, and acknowledged in
 * the log only when the broker's PUBACK arrives. The log is drained strictly in order (oldest
 * first, so order per device is kept), with a bounded number of batches in flight and a
 * bounded publish rate, so a long backlog does not swamp the broker when the link returns.
 * Birth, will, device meta and device status follow the wire contract (see docs/contract-v1.md).
 */
import {
  type DeviceStatus,
  deviceMetaOf,
  deviceTopic,
  encodeDeviceMeta,
  encodeDeviceStatus,
  encodeGatewayState,
  gatewayTopic,
  type Profile,
  type Reading,
  topicMatches as topicMatchesFilter,
} from '@ganzhi/device-profiles';
import type { DurableLog } from '@ganzhi/durable-log';
import { backoffDelay, type Clock, type Random, sleep } from '@ganzhi/runtime';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { type BatchLimits, DEFAULT_BATCH_LIMITS, encodeRecords, unframeRecord } from './batcher.js';
import type { DeliveryConfig } from './delivery-schema.js';

export interface UplinkDevice {
  id: string;
  profile: Profile;
}

export interface UplinkOptions {
  district: string;
  gateway: string;
  stream: string;
  agentVersion: string;
  devices: UplinkDevice[];
  /**
   * The config's `delivery` section, secrets resolved: the broker (`mqtt`), and the limits
   * (`maxInflight` default 64 batches awaiting PUBACK, `maxPublishRate` default 1000/s, `batch`).
   */
  delivery: DeliveryConfig;
  /** TLS material read from `delivery.mqtt.caFile`, `certFile`, `keyFile` */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /**
   * Commands (issue 15): the filter subscribed QoS 1 on every connect, and who handles its
   * messages. With it, the session is persistent (clean: false), so that commands sent while
   * the gateway is offline wait in the broker (and are answered `expired` if too late).
   */
  commands?: UplinkCommands;
}

export interface UplinkCommands {
  filter: string;
  onMessage(topic: string, payload: Buffer): void;
  /** subscribed (again): time to publish the results not yet acknowledged */
  onConnect(): void;
  onClose(): void;
}

export interface UplinkDeps {
  log: DurableLog;
  logger: Logger;
  clock: Clock;
  random: Random;
  /** `mqtt.connect`, injected so tests can use the real client against a real broker */
  connect: (url: string, opts: IClientOptions) => MqttClient;
}

/**
 * How long an accepted batch waits for the batches of the same poll slot before it is
 * published (poll phases are aligned to 50 ms slots: see acquisition/scheduler.ts). It adds at
 * most this to the delay from reading to broker, and saves one socket write per device.
 */
export const PUBLISH_COALESCE_MS = 10;

/** One device's encoded batches, and how many readings they carry. */
interface Batch {
  device: string;
  records: Buffer[];
  readings: number;
}

/** A batch waiting for its poll slot's append (see Uplink.accept). */
interface PendingBatch extends Batch {
  resolve: (accepted: number) => void;
  reject: (err: unknown) => void;
}

/** batches kept in memory between append and publish (see Uplink.fresh) */
const FRESH_MAX = 256;

export interface UplinkCounters {
  batchesAccepted: number;
  readingsAccepted: number;
  batchesPublished: number;
  batchesAcked: number;
  readingsRejectedDiskFull: number;
  reconnects: number;
  connected: boolean;
  lastConnectedAt: number;
  /** SUBACKs granting the command filter (one per connect with commands) */
  commandSubscriptions: number;
  /** online births the broker acknowledged (PUBACK) */
  birthsAcked: number;
}

export class Uplink {
  private client: MqttClient | undefined;
  private readonly inflight = new Map<number, true>();
  /**
   * Records just appended, by offset, until published: the pump sends these without reading
   * them back from the log (a pread and a copy per batch). Bounded; whatever is not here
   * (a backlog, a batch to send again) is read from the log.
   */
  private readonly fresh = new Map<number, Buffer>();
  /** batches accepted for the current poll slot, appended together when it is published (see accept) */
  private pending: PendingBatch[] = [];
  private pendingRecords = 0;
  private readPos: number;
  private failures = 0;
  private tokens: number;
  private lastRefill: number;
  private refillTimer: unknown;
  private stopping = false;
  private pumping = false;
  /** the pump after a PUBACK (a backlog may be waiting): once this event-loop turn is done */
  private pumpQueued: ReturnType<typeof setImmediate> | undefined;
  /** the pump after an accepted batch: once the other devices of the poll slot have answered */
  private pumpTimer: unknown;
  private readonly statuses = new Map<string, DeviceStatus>();
  private devices: Map<string, UplinkDevice>;
  /** other retained messages of this gateway (its config state): re-published on every connect */
  private readonly retained = new Map<string, Buffer>();
  /** topics this gateway reads (its desired config), subscribed on every connect */
  private readonly subscriptions = new Map<string, (payload: Buffer) => void>();
  private readonly birthWaiters = new Set<() => void>();
  private readonly limits: BatchLimits;
  readonly counters: UplinkCounters = {
    batchesAccepted: 0,
    readingsAccepted: 0,
    batchesPublished: 0,
    batchesAcked: 0,
    readingsRejectedDiskFull: 0,
    reconnects: 0,
    connected: false,
    lastConnectedAt: 0,
    commandSubscriptions: 0,
    birthsAcked: 0,
  };

  constructor(
    private readonly opts: UplinkOptions,
    private readonly deps: UplinkDeps,
  ) {
    this.devices = new Map(opts.devices.map((d) => [d.id, d]));
    this.limits = { ...DEFAULT_BATCH_LIMITS, ...opts.delivery.batch };
    this.readPos = deps.log.firstUnacked;
    this.tokens = this.rate;
    this.lastRefill = deps.clock.now();
  }

  private get rate(): number {
    return this.opts.delivery.maxPublishRate ?? 1000;
  }

  private get maxInflight(): number {
    return this.opts.delivery.maxInflight ?? 64;
  }

  /**
   * Accepts one device's readings now: appends them to the durable log as numbered batches
   * (after any batches waiting for their slot, see `accept`). Returns the number of readings
   * accepted (0 if the disk is full; counted, never thrown).
   */
  submit(device: string, readings: readonly Reading[]): number {
    if (readings.length === 0) return 0;
    this.flush();
    const batch = {
      device,
      records: this.encode(device, readings, this.deps.log.nextOffset),
      readings: readings.length,
    };
    if (!this.append([batch])) return 0;
    this.pumpSoon();
    return readings.length;
  }

  /**
   * Accepts one device's readings with the other devices of its poll slot: the batches are
   * encoded (and numbered) now and appended to the durable log together, in one write, when the
   * slot's publish is due (`PUBLISH_COALESCE_MS` after the first of them), just before they
   * are published. Resolves with the number of readings accepted once they are in the log (0 if
   * the disk is full); rejects if the log fails otherwise. A reading counts as accepted only
   * then: a crash before it loses readings nobody was told were accepted (a push driver's
   * source is acknowledged after acceptance, see DeviceScheduler).
   */
  accept(device: string, readings: readonly Reading[]): Promise<number> {
    if (readings.length === 0) return Promise.resolve(0);
    if (this.stopping) return Promise.resolve(this.submit(device, readings));
    const records = this.encode(device, readings, this.deps.log.nextOffset + this.pendingRecords);
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ device, records, readings: readings.length, resolve, reject });
      this.pendingRecords += records.length;
      this.pumpSoon();
    });
  }

  /** The batches of one device's readings, numbered from `first` (throws the contract's error). */
  private encode(device: string, readings: readonly Reading[], first: number): Buffer[] {
    const dev = this.devices.get(device);
    if (!dev) throw new Error(`uplink: unknown device ${device}`);
    return encodeRecords(
      { district: this.opts.district, gateway: this.opts.gateway, stream: this.opts.stream },
      { device, model: dev.profile.id, measurement: dev.profile.measurement },
      readings,
      first,
      this.deps.clock.now(),
      this.limits,
    );
  }

  /** Appends the batches waiting for their slot (see `accept`). */
  private flush(): void {
    if (this.pending.length === 0) return;
    const waiting = this.pending;
    this.pending = [];
    this.pendingRecords = 0;
    let accepted: boolean;
    try {
      accepted = this.append(waiting);
    } catch (err) {
      for (const b of waiting) b.reject(err);
      return;
    }
    for (const b of waiting) b.resolve(accepted ? b.readings : 0);
  }

  /**
   * One append of the given devices' batches, numbered consecutively from the log's next
   * offset. False when the disk is full (counted and logged per device); other failures throw.
   */
  private append(batches: readonly Batch[]): boolean {
    const first = this.deps.log.nextOffset;
    const records = batches.length === 1 ? batches[0]!.records : batches.flatMap((b) => b.records);
    try {
      const offsets = this.deps.log.appendMany(records);
      if (offsets[0] !== first)
        throw new Error(`uplink: log offset ${offsets[0]} differs from sequence ${first}`);
    } catch (err) {
      if ((err as { code?: string }).code === 'GZ_LOG_DISK_FULL') {
        for (const b of batches) {
          this.counters.readingsRejectedDiskFull += b.readings;
          this.deps.logger.warn(
            { device: b.device, readings: b.readings },
            'buffer disk full: readings not accepted',
          );
        }
        return false;
      }
      throw err;
    }
    this.counters.batchesAccepted += records.length;
    if (this.client?.connected && this.fresh.size + records.length <= FRESH_MAX) {
      for (let i = 0; i < records.length; i++) this.fresh.set(first + i, records[i]!);
    }
    for (const b of batches) this.counters.readingsAccepted += b.readings;
    return true;
  }

  /** Publishes a device's status (retained) when its state or last error changed. */
  setStatus(device: string, status: Omit<DeviceStatus, 'v'>): void {
    const prev = this.statuses.get(device);
    const next: DeviceStatus = { v: 1, ...status };
    this.statuses.set(device, next);
    if (prev && prev.state === next.state && prev.lastError === next.lastError) return;
    this.publishRetained(
      deviceTopic(this.opts.district, this.opts.gateway, device, 'status'),
      encodeDeviceStatus(next),
    );
  }

  /**
   * The devices behind this uplink changed (a fleet config applied in place): the birth and
   * the metas are published again; batches already in the log keep their own topics.
   */
  setDevices(devices: UplinkDevice[]): void {
    this.devices = new Map(devices.map((d) => [d.id, d]));
    if (this.client?.connected) this.publishBirth();
  }

  /** Publishes a retained message of this gateway now (if connected) and again on every connect. */
  setRetained(topic: string, payload: Buffer): void {
    this.retained.set(topic, payload);
    this.publishRetained(topic, payload);
  }

  /** Subscribes `topic` (QoS 1) on every connect; `onMessage` gets each message published there. */
  subscribe(topic: string, onMessage: (payload: Buffer) => void): void {
    this.subscriptions.set(topic, onMessage);
    if (this.client?.connected) this.client.subscribe(topic, { qos: 1 });
  }

  /** Resolves true when the broker acknowledges an online birth within `ms`, false otherwise. */
  async waitForBirthAck(ms: number): Promise<boolean> {
    if (this.counters.birthsAcked > 0) return true;
    const done = new AbortController();
    let wake: () => void = () => undefined;
    const acked = new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      this.birthWaiters.add(wake);
    });
    const result = await Promise.race([
      acked,
      sleep(this.deps.clock, ms, done.signal).then(
        () => false,
        () => false,
      ),
    ]);
    done.abort();
    this.birthWaiters.delete(wake);
    return result;
  }

  start(): void {
    const o = this.opts;
    const m = o.delivery.mqtt;
    const connectedAt = this.deps.clock.now();
    const will = encodeGatewayState({ v: 1, state: 'offline', ts: connectedAt });
    const options: IClientOptions = {
      clientId: m.clientId ?? `gz-${o.district}-${o.gateway}`,
      protocolVersion: 4,
      clean: o.commands === undefined,
      keepalive: m.keepaliveS ?? 30,
      // MQTT.js otherwise re-arms its keepalive timer on every packet sent and received (two
      // timers per batch); a PINGREQ every keepalive period while busy costs 2 bytes instead,
      // and a dead connection is still found by the missing PINGRESP
      reschedulePings: false,
      // MQTT.js' default has mqtt-packet pre-build a 2-byte Buffer for each of the 65,536
      // packet ids at the first packet: 6 MB of the agent's live heap (a fifth of it, marked at
      // every full GC) to save a 2-byte allocation per QoS 1 publish. Off: the id is written
      // per packet. (The setting is mqtt-packet's, for the whole process.)
      writeCache: false,
      reconnectPeriod: m.reconnect?.initialMs ?? 1000,
      connectTimeout: 10_000,
      will: { topic: gatewayTopic(o.district, o.gateway, 'state'), payload: will, qos: 1, retain: true },
      ...(m.username !== undefined ? { username: m.username } : {}),
      ...(m.password !== undefined ? { password: m.password } : {}),
      ...o.tls,
      rejectUnauthorized: m.rejectUnauthorized ?? true,
    };
    const client = this.deps.connect(m.url, options);
    this.client = client;
    // capped exponential backoff with jitter: set the period before MQTT.js schedules the reconnect
    client.prependListener('close', () => {
      this.counters.connected = false;
      this.failures++;
      const r = m.reconnect ?? { initialMs: 1000, maxMs: 60_000 };
      client.options.reconnectPeriod = backoffDelay(this.failures, r, this.deps.random);
    });
    client.on('connect', () => this.onConnect());
    const cmds = o.commands;
    if (cmds) {
      client.on('message', (topic, payload) => {
        if (topicMatchesFilter(cmds.filter, topic)) cmds.onMessage(topic, payload);
      });
      client.on('close', () => cmds.onClose());
    }
    client.on('message', (topic, payload) => {
      const handler = this.subscriptions.get(topic);
      if (handler) handler(payload);
    });
    client.on('error', (err) => this.deps.logger.warn({ err: err.message }, 'uplink error'));
    client.on('offline', () => this.deps.logger.info('uplink offline; buffering'));
  }

  private onConnect(): void {
    if (this.counters.lastConnectedAt > 0) this.counters.reconnects++;
    this.failures = 0;
    this.counters.connected = true;
    this.counters.lastConnectedAt = this.deps.clock.now();
    this.deps.logger.info({ url: redactUrl(this.opts.delivery.mqtt.url) }, 'uplink connected');
    this.publishBirth();
    for (const [device, status] of this.statuses) {
      this.publishRetained(
        deviceTopic(this.opts.district, this.opts.gateway, device, 'status'),
        encodeDeviceStatus(status),
      );
    }
    for (const [topic, payload] of this.retained) this.publishRetained(topic, payload);
    for (const topic of this.subscriptions.keys()) this.client?.subscribe(topic, { qos: 1 });
    const cmds = this.opts.commands;
    if (cmds) {
      this.client?.subscribe(cmds.filter, { qos: 1 }, (err, granted) => {
        const refused = err !== null || granted?.some((g) => g.qos === 128);
        if (refused)
          this.deps.logger.error(
            { filter: cmds.filter, err: err?.message },
            'the broker refused the command subscription: commands will not arrive',
          );
        else {
          this.counters.commandSubscriptions++;
          this.deps.logger.info({ filter: cmds.filter }, 'commands subscribed');
        }
      });
      cmds.onConnect();
    }
    this.pump();
  }

  private publishBirth(): void {
    const o = this.opts;
    const c = this.client;
    if (!c?.connected) return;
    c.publish(
      gatewayTopic(o.district, o.gateway, 'state'),
      encodeGatewayState({
        v: 1,
        state: 'online',
        ts: this.deps.clock.now(),
        agent: 'ganzhi-agent',
        version: o.agentVersion,
        devices: [...this.devices.keys()],
        stream: o.stream,
      }),
      { qos: 1, retain: true },
      (err) => {
        if (err) return;
        this.counters.birthsAcked++;
        for (const wake of this.birthWaiters) wake();
      },
    );
    for (const d of this.devices.values()) {
      this.publishRetained(
        deviceTopic(o.district, o.gateway, d.id, 'meta'),
        encodeDeviceMeta(deviceMetaOf(d.profile)),
      );
    }
  }

  /** Publishes QoS 1 (not retained); `done` without error at PUBACK. False when not connected. */
  publishQos1(topic: string, payload: Buffer, done: (err?: Error) => void): boolean {
    const c = this.client;
    if (!c?.connected || this.stopping) return false;
    c.publish(topic, payload, { qos: 1 }, (err) => done(err ?? undefined));
    return true;
  }

  get connected(): boolean {
    return this.client?.connected === true && !this.stopping;
  }

  private publishRetained(topic: string, payload: Buffer): void {
    const c = this.client;
    if (!c?.connected) return; // re-published on the next connect
    c.publish(topic, payload, { qos: 1, retain: true }, (err) => {
      if (err) this.deps.logger.debug({ topic, err: err.message }, 'retained publish not confirmed');
    });
  }

  private refill(): void {
    const now = this.deps.clock.now();
    const elapsed = now - this.lastRefill;
    if (elapsed > 0) {
      this.tokens = Math.min(this.rate, this.tokens + (elapsed * this.rate) / 1000);
      this.lastRefill = now;
    }
  }

  /**
   * After an accepted batch: pumps `PUBLISH_COALESCE_MS` later, so that the batches of the
   * devices polled in the same slot (their answers arrive over a few milliseconds) are
   * published in one burst, which MQTT.js writes to the socket as one writev, instead of one
   * write per device.
   */
  private pumpSoon(): void {
    if (this.pumpTimer !== undefined || this.stopping) return;
    this.pumpTimer = this.deps.clock.setTimeout(() => {
      this.pumpTimer = undefined;
      this.flush();
      this.pump();
    }, PUBLISH_COALESCE_MS);
  }

  /**
   * After a PUBACK: pumps once this event-loop turn is done, when something is waiting that no
   * scheduled pump will send (a backlog drained after a reconnect, a full in-flight window).
   */
  private pumpAfterAck(): void {
    if (this.pumpQueued !== undefined || this.pumpTimer !== undefined || this.stopping) return;
    if (this.deps.log.nextOffset <= this.readPos) return;
    this.pumpQueued = setImmediate(() => {
      this.pumpQueued = undefined;
      this.pump();
    });
  }

  /** Publishes from the log while connected, within the in-flight window and the rate. */
  private pump(): void {
    if (this.pumping || this.stopping) return;
    const c = this.client;
    if (!c?.connected) return;
    this.pumping = true;
    try {
      this.refill();
      const log = this.deps.log;
      if (this.readPos < log.firstUnacked) this.readPos = log.firstUnacked;
      while (this.inflight.size < this.maxInflight && this.tokens >= 1) {
        const cached = this.fresh.get(this.readPos);
        if (cached !== undefined) {
          this.fresh.delete(this.readPos);
          this.publishRecord(c, this.readPos, cached);
          this.readPos++;
          continue;
        }
        const want = Math.min(this.maxInflight - this.inflight.size, Math.floor(this.tokens));
        const records = this.deps.log.readFrom(this.readPos, { records: want });
        if (records.length === 0) break;
        for (const rec of records) {
          this.readPos = rec.offset + 1;
          this.fresh.delete(rec.offset);
          this.publishRecord(c, rec.offset, rec.payload);
        }
      }
      if (this.fresh.size > 0) for (const o of this.fresh.keys()) if (o < this.readPos) this.fresh.delete(o);
      if (this.tokens < 1 && this.refillTimer === undefined && this.deps.log.nextOffset > this.readPos) {
        this.refillTimer = this.deps.clock.setTimeout(
          () => {
            this.refillTimer = undefined;
            this.pump();
          },
          Math.ceil(1000 / this.rate),
        );
      }
    } finally {
      this.pumping = false;
    }
  }

  private publishRecord(c: MqttClient, offset: number, record: Buffer): void {
    if (this.inflight.has(offset)) return;
    const { topic, payload } = unframeRecord(record);
    this.inflight.set(offset, true);
    this.tokens--;
    this.counters.batchesPublished++;
    c.publish(topic, payload, { qos: 1 }, (err) => this.onPuback(offset, err));
  }

  private onPuback(offset: number, err: Error | undefined): void {
    this.inflight.delete(offset);
    if (err) {
      // not confirmed (client closed): read it again from the log
      this.readPos = Math.min(this.readPos, offset);
    } else {
      this.deps.log.ack(offset);
      this.counters.batchesAcked++;
    }
    this.pumpAfterAck();
  }

  /** Batches accepted and not yet acknowledged by the broker. */
  backlog(): number {
    return this.deps.log.nextOffset - this.deps.log.firstUnacked;
  }

  /**
   * Stops: waits up to `graceMs` for in-flight and buffered batches to be acknowledged, then
   * publishes the offline state and disconnects. What is not acknowledged stays in the log.
   */
  async stop(graceMs = 3000): Promise<void> {
    this.flush(); // what waits for its slot is accepted now, then drained or kept in the log
    const deadline = this.deps.clock.now() + graceMs;
    while (this.client?.connected && this.backlog() > 0 && this.deps.clock.now() < deadline) {
      this.pump();
      await sleep(this.deps.clock, 20);
    }
    this.stopping = true;
    this.flush(); // accepted during the grace period: into the log before the timers stop
    this.fresh.clear();
    if (this.refillTimer !== undefined) this.deps.clock.clearTimeout(this.refillTimer);
    if (this.pumpQueued !== undefined) clearImmediate(this.pumpQueued);
    this.pumpQueued = undefined;
    if (this.pumpTimer !== undefined) this.deps.clock.clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    const c = this.client;
    if (!c) return;
    if (c.connected) {
      const o = this.opts;
      // the offline state is confirmed by the broker, or given up on after 1 s
      const done = new AbortController();
      await Promise.race([
        new Promise<void>((resolve) => {
          c.publish(
            gatewayTopic(o.district, o.gateway, 'state'),
            encodeGatewayState({ v: 1, state: 'offline', ts: this.deps.clock.now() }),
            { qos: 1, retain: true },
            () => resolve(),
          );
        }),
        sleep(this.deps.clock, 1000, done.signal),
      ]);
      done.abort();
    }
    await new Promise<void>((resolve) => c.end(true, {}, () => resolve()));
  }
}

/** The broker URL without credentials, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
