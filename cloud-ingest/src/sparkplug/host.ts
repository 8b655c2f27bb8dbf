/**
 * The Sparkplug B host application's state machine (Sparkplug 3.0 §5), independent of MQTT:
 * `handle(topic, payload)` takes every message of the configured groups, and turns it into
 * contract v1 messages (`emit`) that go through the ingest's own path — durable log, writer,
 * store, completeness, hub page — so data teams query one schema.
 *
 *   NBIRTH  → gateway state online (hub page), meta + a data batch of the node's metrics
 *   DBIRTH  → device meta (points, units), device status up, a data batch of its values
 *   N/DDATA → a data batch (aliases resolved against the births)
 *   DDEATH  → device status down (and an empty batch carrying its seq)
 *   NDEATH  → gateway state offline and its devices down — only when its bdSeq is the one of
 *             the current NBIRTH; a stale bdSeq is ignored (tck-id-payloads-ndeath-bdseq)
 *
 * Every message with a `seq` becomes exactly one contract batch whose seq is the Sparkplug seq
 * unwrapped (0..255 → a counter that keeps growing across wraps and births), so the ingest's
 * completeness tracker counts a lost Sparkplug message as a gap, like a lost batch of ours.
 * A gap opens the reorder window (tck-id-operational-behavior-host-reordering-*): when it
 * closes with messages still missing, a Rebirth is requested (NCMD `Node Control/Rebirth`).
 * DATA from a node or device without a birth, an unknown alias, or a birth that breaks the
 * rules is not stored: a Rebirth is requested instead.
 */
import {
  type DataBatch,
  type DeviceMeta,
  deviceTopic,
  encodeDeviceMeta,
  encodeDeviceStatus,
  encodeGatewayState,
  gatewayTopic,
  sparkplug,
  type WireReading,
} from '@ganzhi/device-profiles';
import type { Clock } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { SparkplugGroupConfig, SparkplugHostConfig } from './config.js';
import { SPARKPLUG_DEFAULTS } from './config.js';
import { deviceNameMap, type NameMap, pointNameMap, toContractId } from './naming.js';
import { isControlMetric, type MetricDef, pointType, toReading, unitOf } from './readings.js';
import { SeqWindow } from './seq-window.js';

const { decodePayload, decodeHostState, propertyMap, typedValue } = sparkplug;

export interface HostCounters {
  births: number;
  deaths: number;
  staleDeaths: number;
  dataBeforeBirth: number;
  seqGaps: number;
  rebirthRequests: number;
  decodeErrors: number;
  readingsRejected: number;
}

export interface HostDeps {
  /** a contract v1 message (topic + JSON payload) into the ingest's log */
  emit(topic: string, payload: Buffer): void;
  /** publish NCMD `Node Control/Rebirth` to this node */
  requestRebirth(group: string, node: string, why: string): void;
  /** our own STATE was published offline while we are up: publish online again */
  republishState(): void;
  clock: Clock;
  logger: Logger;
  /** something that could not be stored, and why */
  deadLetter?(d: { reason: string; topic: string; point?: string }): void;
}

/** A metric of a birth with the definition made from it. */
interface Defined {
  def: MetricDef;
  m: sparkplug.Metric;
}

interface DeviceSession {
  id: string;
  alive: boolean;
  points: NameMap;
}

interface NodeSession {
  group: string;
  node: string;
  district: string;
  gateway: string;
  measurement: string;
  online: boolean;
  bdSeq: bigint | undefined;
  defs: Map<number, MetricDef>;
  byName: Map<string, MetricDef>;
  devices: Map<string, DeviceSession>;
  deviceIds: NameMap;
  nodePoints: NameMap;
  seq: SeqWindow;
  lastRebirthAt: number;
}

export class SparkplugHost {
  readonly counters: HostCounters = {
    births: 0,
    deaths: 0,
    staleDeaths: 0,
    dataBeforeBirth: 0,
    seqGaps: 0,
    rebirthRequests: 0,
    decodeErrors: 0,
    readingsRejected: 0,
  };
  private readonly nodes = new Map<string, NodeSession>();
  private readonly groups: Map<string, SparkplugGroupConfig>;
  private readonly stream: string;
  private readonly nodeDevice: string;
  private readonly reorderMs: number;
  private readonly rebirthGapMs: number;

  constructor(
    private readonly cfg: SparkplugHostConfig,
    private readonly deps: HostDeps,
  ) {
    this.groups = new Map(cfg.groups.map((g) => [g.group, g]));
    // one completeness stream per node per host run: the unwrapped seq restarts with the host
    this.stream = `spb-${deps.clock.now().toString(36)}`;
    this.nodeDevice = cfg.nodeDevice ?? SPARKPLUG_DEFAULTS.nodeDevice;
    this.reorderMs = cfg.reorderTimeoutMs ?? SPARKPLUG_DEFAULTS.reorderTimeoutMs;
    this.rebirthGapMs = cfg.rebirthMinIntervalMs ?? SPARKPLUG_DEFAULTS.rebirthMinIntervalMs;
  }

  /** Online edge nodes, for /metrics and tests. */
  onlineNodes(): { group: string; node: string; district: string; gateway: string; bdSeq: string }[] {
    return [...this.nodes.values()]
      .filter((n) => n.online)
      .map((n) => ({
        group: n.group,
        node: n.node,
        district: n.district,
        gateway: n.gateway,
        bdSeq: String(n.bdSeq),
      }));
  }

  handle(topic: string, payload: Uint8Array): void {
    const t = sparkplug.parseSparkplugTopic(topic);
    if (!t) {
      this.reject(topic, 'not a Sparkplug B topic');
      return;
    }
    if (t.kind === 'state') {
      this.onState(t.hostId, payload);
      return;
    }
    if (t.type === 'NCMD' || t.type === 'DCMD') return; // ours, or another host's
    const group = this.groups.get(t.group);
    if (!group) return;
    const n = this.session(group, t.node);
    if (!n) {
      this.reject(topic, `edge node id ${JSON.stringify(t.node)} maps to no gateway id`);
      return;
    }
    let p: sparkplug.Payload;
    try {
      p = decodePayload(payload);
    } catch (err) {
      this.counters.decodeErrors++;
      this.reject(topic, (err as Error).message);
      return;
    }
    switch (t.type) {
      case 'NBIRTH': {
        this.onNodeBirth(n, p, topic);
        return;
      }
      case 'NDEATH': {
        this.onNodeDeath(n, p);
        return;
      }
      case 'NDATA': {
        this.onData(n, null, p, topic);
        return;
      }
      case 'DBIRTH': {
        this.onDeviceBirth(n, (t as { device: string }).device, p, topic);
        return;
      }
      case 'DDATA': {
        this.onData(n, (t as { device: string }).device, p, topic);
        return;
      }
      case 'DDEATH': {
        this.onDeviceDeath(n, (t as { device: string }).device, p, topic);
        return;
      }
    }
  }

  /** The MQTT connection to the broker was lost: every node's state is unknown (STALE). */
  connectionLost(): void {
    for (const n of this.nodes.values()) if (n.online) this.goOffline(n, 'host lost its broker connection');
  }

  close(): void {
    for (const n of this.nodes.values()) n.seq.stop();
  }

  // ------------------------------------------------------------------ sessions

  private session(g: SparkplugGroupConfig, node: string): NodeSession | undefined {
    const key = `${g.group}\u0000${node}`;
    const n = this.nodes.get(key);
    if (n) return n;
    const gateway = g.nodes?.[node] ?? toContractId(node);
    if (gateway === undefined) return undefined;
    const session: NodeSession = {
      group: g.group,
      node,
      district: g.district,
      gateway,
      measurement: g.measurement ?? SPARKPLUG_DEFAULTS.measurement,
      online: false,
      bdSeq: undefined,
      defs: new Map(),
      byName: new Map(),
      devices: new Map(),
      deviceIds: deviceNameMap(this.nodeDevice),
      nodePoints: pointNameMap(),
      seq: new SeqWindow(this.deps.clock, this.reorderMs, () => this.rebirth(session, 'seq gap')),
      lastRebirthAt: Number.NEGATIVE_INFINITY,
    };
    this.nodes.set(key, session);
    return session;
  }

  private onNodeBirth(n: NodeSession, p: sparkplug.Payload, topic: string): void {
    const bd = p.metrics.find((m) => m.name === 'bdSeq');
    const bdSeq = bd?.raw?.kind === 'long' || bd?.raw?.kind === 'int' ? BigInt(bd.raw.v) : undefined;
    if (bdSeq === undefined || p.seq === undefined) {
      // tck-id-payloads-nbirth-bdseq, tck-id-payloads-nbirth-seq
      this.reject(topic, `NBIRTH without ${bdSeq === undefined ? 'a bdSeq metric' : 'a seq'}: not accepted`);
      this.rebirth(n, 'invalid NBIRTH');
      return;
    }
    const unwrapped = n.seq.birth(p.seq);
    n.online = true;
    n.bdSeq = bdSeq;
    n.defs.clear();
    n.byName.clear();
    for (const d of n.devices.values()) d.alive = false;
    this.counters.births++;
    const now = this.deps.clock.now();
    this.deps.emit(
      gatewayTopic(n.district, n.gateway, 'state'),
      encodeGatewayState({
        v: 1,
        state: 'online',
        ts: now,
        agent: 'sparkplug-b edge node',
        version: `bdSeq ${bdSeq}`.slice(0, 32),
        devices: [this.nodeDevice],
        stream: this.stream,
      }),
    );
    const defs = this.define(n, null, n.nodePoints, p.metrics, topic);
    if (!defs) {
      this.rebirth(n, 'invalid NBIRTH metrics');
      return;
    }
    this.emitMeta(n, this.nodeDevice, defs);
    this.emitReadings(
      n,
      this.nodeDevice,
      defs.filter((x) => !isControlMetric(x.def.name)),
      p,
      unwrapped,
      topic,
    );
  }

  private onDeviceBirth(n: NodeSession, device: string, p: sparkplug.Payload, topic: string): void {
    const unwrapped = this.sequence(n, p, topic);
    if (unwrapped === undefined) return;
    let d = n.devices.get(device);
    if (!d) {
      const id = n.deviceIds.get(device);
      if (id === undefined) {
        this.reject(topic, `device id ${JSON.stringify(device)} maps to no device id`);
        return;
      }
      d = { id, alive: false, points: pointNameMap() };
      n.devices.set(device, d);
    }
    // a repeated DBIRTH in the same session replaces the device's metric definitions
    for (const [alias, def] of n.defs) if (def.device === device) n.defs.delete(alias);
    for (const [k, def] of n.byName) if (def.device === device) n.byName.delete(k);
    const defs = this.define(n, device, d.points, p.metrics, topic);
    if (!defs) {
      this.emitReadings(n, d.id, [], p, unwrapped, topic); // keep the seq counted
      this.rebirth(n, 'invalid DBIRTH metrics');
      return;
    }
    d.alive = true;
    const now = this.deps.clock.now();
    this.emitMeta(n, d.id, defs);
    this.deps.emit(
      deviceTopic(n.district, n.gateway, d.id, 'status'),
      encodeDeviceStatus({ v: 1, state: 'up', ts: p.timestamp ?? now, since: p.timestamp ?? now }),
    );
    this.emitReadings(
      n,
      d.id,
      defs.filter((x) => !isControlMetric(x.def.name)),
      p,
      unwrapped,
      topic,
    );
  }

  private onData(n: NodeSession, device: string | null, p: sparkplug.Payload, topic: string): void {
    const d = device === null ? undefined : n.devices.get(device);
    if (!n.online || (device !== null && !d?.alive)) {
      // DATA before BIRTH: not stored blindly, the node is asked for its births
      this.counters.dataBeforeBirth++;
      this.reject(topic, `${device === null ? 'NDATA' : 'DDATA'} before its birth certificate: not stored`);
      this.rebirth(n, 'data before birth');
      return;
    }
    const unwrapped = this.sequence(n, p, topic);
    if (unwrapped === undefined) return;
    const defs: Defined[] = [];
    let unknown = 0;
    for (const m of p.metrics) {
      const def =
        m.alias !== undefined
          ? n.defs.get(m.alias)
          : m.name !== undefined
            ? n.byName.get(`${device}\u0000${m.name}`)
            : undefined;
      if (!def || def.device !== device) {
        unknown++;
        continue;
      }
      if (!isControlMetric(def.name)) defs.push({ def, m });
    }
    this.emitReadings(
      n,
      device === null ? this.nodeDevice : (d as DeviceSession).id,
      defs,
      p,
      unwrapped,
      topic,
    );
    if (unknown > 0) {
      this.reject(topic, `${unknown} metric(s) with an alias or name not in the birth certificate`);
      this.rebirth(n, 'unknown metric alias');
    }
  }

  private onDeviceDeath(n: NodeSession, device: string, p: sparkplug.Payload, topic: string): void {
    if (!n.online) return;
    const unwrapped = this.sequence(n, p, topic);
    if (unwrapped === undefined) return;
    const d = n.devices.get(device);
    if (!d) return;
    d.alive = false;
    const now = this.deps.clock.now();
    this.deps.emit(
      deviceTopic(n.district, n.gateway, d.id, 'status'),
      encodeDeviceStatus({
        v: 1,
        state: 'down',
        ts: p.timestamp ?? now,
        since: p.timestamp ?? now,
        lastError: 'DDEATH',
      }),
    );
    this.emitReadings(n, d.id, [], p, unwrapped, topic);
  }

  private onNodeDeath(n: NodeSession, p: sparkplug.Payload): void {
    const bd = p.metrics.find((m) => m.name === 'bdSeq');
    const t = bd ? typedValue(bd.datatype ?? sparkplug.DataType.UInt64, bd.raw) : undefined;
    const bdSeq =
      t?.ok && (typeof t.value === 'bigint' || typeof t.value === 'number') ? BigInt(t.value) : undefined;
    if (!n.online || bdSeq === undefined || bdSeq !== n.bdSeq) {
      // the death of an older session (its will arrived after the new NBIRTH): ignored
      this.counters.staleDeaths++;
      this.deps.logger.info(
        { group: n.group, node: n.node, bdSeq: String(bdSeq), current: String(n.bdSeq), online: n.online },
        'NDEATH ignored: its bdSeq is not the current session',
      );
      return;
    }
    this.counters.deaths++;
    this.goOffline(n, 'NDEATH');
  }

  private goOffline(n: NodeSession, why: string): void {
    n.online = false;
    n.seq.stop();
    const now = this.deps.clock.now();
    this.deps.emit(
      gatewayTopic(n.district, n.gateway, 'state'),
      encodeGatewayState({ v: 1, state: 'offline', ts: now }),
    );
    for (const d of n.devices.values()) {
      if (!d.alive) continue;
      d.alive = false;
      this.deps.emit(
        deviceTopic(n.district, n.gateway, d.id, 'status'),
        encodeDeviceStatus({ v: 1, state: 'down', ts: now, since: now, lastError: why }),
      );
    }
  }

  // ------------------------------------------------------------------ seq and rebirth

  /** The unwrapped seq of a message after the birth, tracking gaps; undefined if unusable. */
  private sequence(n: NodeSession, p: sparkplug.Payload, topic: string): number | undefined {
    if (!n.online) return undefined;
    if (p.seq === undefined || p.seq > 255) {
      this.reject(
        topic,
        `seq ${p.seq ?? 'missing'}: must be 0..255 (tck-id-payloads-sequence-num-always-included)`,
      );
      this.rebirth(n, 'bad seq');
      return undefined;
    }
    const step = n.seq.next(p.seq);
    if (step.gap) {
      this.counters.seqGaps++;
      this.deps.logger.info(
        { group: n.group, node: n.node, expected: step.gap.expected, got: p.seq },
        'Sparkplug seq gap: reorder window opened',
      );
    }
    return step.unwrapped;
  }

  private rebirth(n: NodeSession, why: string): void {
    const now = this.deps.clock.now();
    if (now - n.lastRebirthAt < this.rebirthGapMs) return;
    n.lastRebirthAt = now;
    this.counters.rebirthRequests++;
    this.deps.logger.info({ group: n.group, node: n.node, why }, 'requesting Rebirth');
    this.deps.requestRebirth(n.group, n.node, why);
  }

  // ------------------------------------------------------------------ births → definitions

  /** Registers a birth's metrics; undefined when the birth breaks the alias rules. */
  private define(
    n: NodeSession,
    device: string | null,
    points: NameMap,
    metrics: sparkplug.Metric[],
    topic: string,
  ): Defined[] | undefined {
    const out: Defined[] = [];
    for (const m of metrics) {
      if (m.name === undefined || m.datatype === undefined) {
        // tck-id-topics-nbirth-metrics / -dbirth-metrics: name, datatype and value
        this.reject(topic, 'birth metric without a name or datatype');
        return undefined;
      }
      const def: MetricDef = {
        name: m.name,
        point: points.get(m.name) as string,
        datatype: m.datatype,
        device,
        unit: unitOf(propertyMap(m.properties)) ?? '',
      };
      if (m.alias !== undefined) {
        // tck-id-payloads-alias-uniqueness: unique across the node's whole set of metrics
        const other = n.defs.get(m.alias);
        if (other) {
          this.reject(
            topic,
            `alias ${m.alias} of ${m.name} is already ${other.name}: aliases must be unique per node`,
          );
          return undefined;
        }
        n.defs.set(m.alias, def);
      }
      n.byName.set(`${device}\u0000${m.name}`, def);
      out.push({ def, m });
    }
    return out;
  }

  // ------------------------------------------------------------------ emitting contract messages

  private emitMeta(n: NodeSession, device: string, defined: Defined[]): void {
    const defs = defined.map((x) => x.def);
    const meta: DeviceMeta = {
      v: 1,
      profile: SPARKPLUG_DEFAULTS.model,
      profileVersion: '3.0',
      model: `Sparkplug B ${n.group}/${n.node}`.slice(0, 128),
      manufacturer: 'Sparkplug B edge node',
      measurement: n.measurement,
      points: defs
        .filter((d) => !isControlMetric(d.name) && sparkplug.isScalarType(d.datatype))
        .slice(0, 4096)
        .map((d) => ({ name: d.point, type: pointType(d.datatype), unit: d.unit, access: 'read' as const })),
    };
    this.deps.emit(deviceTopic(n.district, n.gateway, device, 'meta'), encodeDeviceMeta(meta));
  }

  private emitReadings(
    n: NodeSession,
    device: string,
    items: Defined[],
    p: sparkplug.Payload,
    seq: number,
    topic: string,
  ): void {
    const now = this.deps.clock.now();
    const readings: WireReading[] = [];
    for (const { def, m } of items) {
      const r = toReading(def, m, p.timestamp, now);
      if (r.ok) readings.push(r.reading);
      else {
        this.counters.readingsRejected++;
        this.deps.deadLetter?.({ reason: r.reason, topic, point: def.point });
      }
    }
    const batch: DataBatch = {
      v: 1,
      district: n.district,
      gateway: n.gateway,
      device,
      model: SPARKPLUG_DEFAULTS.model,
      measurement: n.measurement,
      stream: this.stream,
      seq,
      sent: p.timestamp ?? now,
      readings: readings.slice(0, 10_000),
    };
    // Not encodeDataBatch: it refuses the whole batch for one reading the contract refuses (a
    // timestamp before 2000, say); the writer's decoder dead-letters such a reading and keeps the rest.
    this.deps.emit(deviceTopic(n.district, n.gateway, device, 'data'), Buffer.from(JSON.stringify(batch)));
  }

  private onState(hostId: string, payload: Uint8Array): void {
    if (hostId !== this.cfg.hostId) return;
    const s = decodeHostState(payload);
    // tck-id-message-flow-hid-sparkplug-state-message-delivered: an offline STATE of our own
    // (a late will of an earlier connection) while we are up → publish online again
    if (s.ok && !s.value.online) this.deps.republishState();
  }

  private reject(topic: string, reason: string): void {
    this.deps.logger.debug({ topic, reason }, 'Sparkplug message not stored');
    this.deps.deadLetter?.({ reason, topic });
  }
}
