/**
 * One HJ 212-2017 data logger (数采仪), a push device: it connects to the gateway's listener
 * (./listener.ts) and sends its data; each read() returns what arrived since the previous one.
 *
 * - Data packets (CN 2011 real-time, 2051 minute, 2061 hour, 2031 day) become readings of the
 *   points bound to (pollutant code, field, CN), stamped with the packet's DataTime in the
 *   logger's time zone (`hj212.utcOffset`); each value's `-Flag` sets its quality (N good;
 *   S, T uncertain; F, M, D, C, B bad with the marker's meaning as reason); a DataTime more
 *   than `maxClockSkewMs` ahead of the gateway clock makes good values uncertain ("clock").
 * - Nothing lost: the 9014 acknowledgement a packet asks for (Flag bit A) is sent only after
 *   the packet's readings were accepted by the durable buffer (`delivered()`, called by the
 *   scheduler after the sink's write) — up to one poll interval after the packet arrived. A
 *   packet whose readings were not accepted is not acknowledged: the logger sends it again.
 * - Nothing doubled: a packet is identified by CN and DataTime. A re-sent packet (same CN and
 *   DataTime: the logger missed the acknowledgement, or uploads its history again) is counted
 *   as a duplicate and acknowledged, and produces no readings and no batch. The identities of
 *   the last 50 000 accepted packets are kept (memory only: after an agent restart a re-send
 *   becomes a new batch with a new sequence number — the hub counts it as received, not as a
 *   duplicate, and storage overwrites the identical points: harmless).
 * - Split packets (Flag bit D, PNUM/PNO) are joined by QN before they are read; an incomplete
 *   set is dropped after 5 min.
 * - A point with nothing from the logger for three of its periods (2011: the profile's
 *   `hj212.intervalMs`, default 30 s; 2051 a minute; 2061 an hour; 2031 a day) gets one bad
 *   reading per such period ("no data for N s", or "no data: logger not connected").
 */
import {
  HJ212_DATA_COMMANDS,
  type Hj212Point,
  hj212,
  isHj212Point,
  toEngineering,
} from '@ganzhi/device-profiles';
import { backoffDelay } from '@ganzhi/runtime';
import { DeviceStatusTracker } from '../device-status.js';
import {
  badReading,
  type DeviceState,
  type Driver,
  type DriverContext,
  type DriverCounters,
  type DriverReading,
  type DriverStatus,
} from '../driver.js';
import { valueReading } from '../meter-bus/readings.js';
import { type Hj212Connection, type Hj212Listener, type LoggerSession, samePassword } from './listener.js';
import type { Hj212DeviceSpec } from './options.js';

const PERIOD_MS: Record<string, number> = { '2051': 60_000, '2061': 3_600_000, '2031': 86_400_000 };
const SEEN_MAX = 50_000;
const SPLIT_TTL_MS = 300_000;
const SPLIT_MAX_SETS = 16;
const SPLIT_MAX_PACKETS = 64;

export interface Hj212Counters extends DriverCounters {
  /** authenticated packets received */
  packets: number;
  /** data packets whose CN and DataTime were already received */
  duplicates: number;
  /** packets refused (CRC, length, segment, CP without DataTime …) */
  packetsRefused: number;
  /** packets with this logger's MN and a wrong password */
  authFailures: number;
  /** 9014 acknowledgements sent */
  acks: number;
  /** connections from this logger open now */
  connections: number;
}

interface Ack {
  seg: hj212.Segment;
  conn: Hj212Connection;
}

interface Entry {
  key: string;
  readings: DriverReading[];
  acks: Ack[];
}

interface PointState {
  point: Hj212Point;
  staleMs: number;
  heardAt: number;
  staleReportedAt: number;
}

export class Hj212Driver implements Driver, LoggerSession {
  readonly device: string;
  readonly mn: string;
  private readonly tracker: DeviceStatusTracker;
  /** per CN: `code-field` → point */
  private readonly bindings = new Map<string, Map<string, PointState>>();
  private readonly states: PointState[] = [];
  private pending: Entry[] = [];
  private inFlight: Entry[] = [];
  private readonly seen = new Map<string, true>();
  private readonly splits = new Map<string, { at: number; parts: Map<number, string>; acks: Ack[] }>();
  private readonly extra = {
    packets: 0,
    duplicates: 0,
    packetsRefused: 0,
    authFailures: 0,
    acks: 0,
    connections: 0,
  };
  private listenFailures = 0;
  private listenRetryAt = 0;
  private listening = false;
  private readonly since: number;
  private closed = false;

  constructor(
    private readonly spec: Hj212DeviceSpec,
    private readonly listener: Hj212Listener,
    private readonly ctx: DriverContext,
    private readonly releaseListener: () => Promise<void>,
  ) {
    this.device = spec.id;
    this.mn = spec.mn;
    this.since = ctx.clock.now();
    this.tracker = new DeviceStatusTracker(this.since, 'no data yet');
    const rtMs = spec.profile.hj212?.intervalMs ?? 30_000;
    for (const point of spec.points.filter(isHj212Point)) {
      const field = point.hj212.field ?? 'Rtd';
      const cn = point.hj212.cn ?? '2011';
      const period = PERIOD_MS[cn] ?? rtMs;
      const st: PointState = {
        point,
        staleMs: 3 * Math.max(period, spec.pollIntervalMs),
        heardAt: this.since,
        staleReportedAt: 0,
      };
      this.states.push(st);
      const byKey = this.bindings.get(cn) ?? new Map<string, PointState>();
      byKey.set(`${point.hj212.code}-${field}`, st);
      this.bindings.set(cn, byKey);
    }
    listener.register(this);
  }

  // ---------------------------------------------------------------- LoggerSession (listener side)

  checkPassword(pw: string): boolean {
    return samePassword(pw, this.spec.password);
  }

  onAuthFailure(): void {
    this.extra.authFailures++;
    this.tracker.counters.errors++;
    this.tracker.lastError = `authentication: wrong password (${this.extra.authFailures} packets refused)`;
  }

  onRefused(reason: string): void {
    this.extra.packetsRefused++;
    this.tracker.counters.errors++;
    this.tracker.lastError = `bad packet: ${reason}`;
  }

  onConnection(delta: 1 | -1): void {
    this.extra.connections = Math.max(0, this.extra.connections + delta);
    if (delta === 1) this.tracker.counters.reconnects++;
  }

  onPacket(seg: hj212.Segment, conn: Hj212Connection): void {
    if (this.closed) return;
    this.extra.packets++;
    this.tracker.counters.requests++;
    const ack: Ack = { seg, conn };
    if (!(HJ212_DATA_COMMANDS as readonly string[]).includes(seg.cn)) {
      // not monitoring data (a notice, a status): nothing to store, acknowledged as received
      this.sendAcks([ack]);
      return;
    }
    const bits = hj212.flagBits(seg.flag);
    if (bits.split && seg.pnum !== undefined && seg.pno !== undefined && seg.pnum > 1) {
      this.joinSplit(seg, ack);
      return;
    }
    this.take(seg.cn, seg.cp, [ack]);
  }

  private joinSplit(seg: hj212.Segment, ack: Ack): void {
    const pnum = seg.pnum!;
    const pno = seg.pno!;
    if (pnum > SPLIT_MAX_PACKETS || pno < 1 || pno > pnum) {
      this.onRefused(`split packet: PNO ${pno} of PNUM ${pnum}`);
      return;
    }
    const key = `${seg.cn}/${seg.qn ?? ''}/${pnum}`;
    let set = this.splits.get(key);
    if (!set) {
      if (this.splits.size >= SPLIT_MAX_SETS) {
        const oldest = this.splits.keys().next().value;
        if (oldest !== undefined) this.splits.delete(oldest);
      }
      set = { at: this.ctx.clock.now(), parts: new Map(), acks: [] };
      this.splits.set(key, set);
    }
    set.parts.set(pno, seg.cp);
    set.acks.push(ack);
    if (set.parts.size < pnum) return;
    this.splits.delete(key);
    const cp = Array.from({ length: pnum }, (_, i) => set.parts.get(i + 1) ?? '').join(';');
    this.take(seg.cn, cp, set.acks);
  }

  /** A complete data packet: new → pending readings; known → a duplicate, acknowledged. */
  private take(cn: string, cp: string, acks: Ack[]): void {
    const m = hj212.parseMonitoringData(cp, this.spec.tzOffsetMinutes);
    if (!m.ok) {
      this.onRefused(m.reason);
      return;
    }
    const key = `${cn}/${m.data.dataTime}`;
    if (this.seen.has(key)) {
      this.extra.duplicates++;
      this.sendAcks(acks); // already in the buffer: tell the logger again
      return;
    }
    const waiting = this.pending.find((e) => e.key === key) ?? this.inFlight.find((e) => e.key === key);
    if (waiting) {
      this.extra.duplicates++;
      waiting.acks.push(...acks); // acknowledged with the first, once it is accepted
      return;
    }
    const now = this.ctx.clock.now();
    const skew = m.data.ts - now;
    const skewed = skew > this.spec.maxClockSkewMs;
    const readings: DriverReading[] = [];
    const byKey = this.bindings.get(cn);
    for (const v of m.data.values) {
      const st = byKey?.get(`${v.code}-${v.field}`);
      if (!st) continue;
      st.heardAt = now;
      const p = st.point;
      if (v.value === undefined) {
        readings.push(badReading(this.device, p, m.data.ts, v.reason ?? 'not a number'));
        continue;
      }
      const r = valueReading(this.device, p, toEngineering(p, v.value), m.data.ts);
      if (v.quality !== 'good' && r.quality !== 'bad') {
        r.quality = v.quality;
        if (v.reason) r.reason = v.reason; // the value is kept as the logger reported it
      } else if (skewed && r.quality === 'good') {
        r.quality = 'uncertain';
        r.reason = `clock: DataTime ${Math.round(skew / 1000)} s ahead of the gateway`;
      }
      readings.push(r);
    }
    this.pending.push({ key, readings, acks });
  }

  private sendAcks(acks: Ack[]): void {
    for (const { seg, conn } of acks) {
      if (!hj212.flagBits(seg.flag).ackRequested || !conn.open) continue;
      conn.write(hj212.encodePacket(hj212.buildAckSegment(seg)));
      this.extra.acks++;
    }
  }

  // ---------------------------------------------------------------- Driver (acquisition side)

  async connect(): Promise<void> {
    if (this.listening || this.closed) return;
    try {
      await this.listener.listen();
      this.listening = true;
      this.listenFailures = 0;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.listenFailures++;
      this.tracker.lastError = `listen: ${e.code ?? e.message ?? String(err)}`;
      this.listenRetryAt =
        this.ctx.clock.now() +
        backoffDelay(this.listenFailures, { initialMs: 1000, maxMs: 60_000 }, this.ctx.random);
      throw err;
    }
  }

  async read(): Promise<DriverReading[]> {
    if (this.closed) throw new Error('driver closed');
    const now = this.ctx.clock.now();
    this.tracker.counters.cycles++;
    if (!this.listening && now >= this.listenRetryAt) await this.connect().catch(() => undefined);
    for (const [k, s] of this.splits) if (now - s.at > SPLIT_TTL_MS) this.splits.delete(k);
    // what the last cycle handed out and was never accepted (the sink refused it) is replaced
    // unacknowledged: forgotten here, the logger sends it again
    this.inFlight = this.pending;
    this.pending = [];
    const out = this.inFlight.flatMap((e) => e.readings);
    let fresh = 0;
    for (const st of this.states) {
      const quiet = now - st.heardAt;
      if (quiet < st.staleMs) {
        fresh++;
        continue;
      }
      if (now - st.staleReportedAt < st.staleMs) continue;
      st.staleReportedAt = now;
      const reason = !this.listening
        ? (this.tracker.lastError ?? 'listen: not listening')
        : this.extra.connections === 0
          ? 'no data: logger not connected'
          : `no data for ${Math.round(quiet / 1000)} s`;
      out.push(badReading(this.device, st.point, now, reason));
    }
    const bad = out.some((r) => r.quality === 'bad');
    let state: DeviceState;
    if (this.extra.packets === 0 && fresh === this.states.length) state = 'unknown';
    else if (fresh === 0) state = 'down';
    else state = fresh < this.states.length || bad ? 'degraded' : 'up';
    this.tracker.setState(state, now);
    if (state === 'down' && this.listening && !this.tracker.lastError?.startsWith('auth')) {
      this.tracker.lastError = this.extra.connections === 0 ? 'no data: logger not connected' : 'no data';
    }
    if (state === 'up') this.tracker.lastError = undefined;
    return out;
  }

  /** The readings of the last read() are in the durable buffer: acknowledge their packets. */
  delivered(): void {
    for (const e of this.inFlight) {
      this.seen.set(e.key, true);
      if (this.seen.size > SEEN_MAX) {
        const oldest = this.seen.keys().next().value;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
      this.sendAcks(e.acks);
    }
    this.inFlight = [];
  }

  status(): DriverStatus {
    const s = this.tracker.snapshot();
    return { ...s, counters: { ...s.counters, ...this.extra } as Hj212Counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listener.unregister(this.mn);
    await this.releaseListener();
  }
}
