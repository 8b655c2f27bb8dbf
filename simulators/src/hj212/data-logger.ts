/**
 * An HJ 212-2017 data logger (数采仪): connects OUT to a platform's TCP listener and reports
 * its device's points: real-time data (CN 2011, `-Rtd`) every intervalMs and period data
 * (CN 2051 minute / 2061 hour / 2031 day, `-Avg` …) whenever a period of the logger's clock
 * ends. With `ack` (Flag = 5) every data packet waits for the platform's 9014 with its QN;
 * without one within ackTimeoutMs it is sent again, up to `retries` times, then kept for
 * the history upload.
 *
 * Outage: while the link is down (platform unreachable, or a `drop` fault active) packets
 * go to the history backlog with their own DataTime; on reconnecting the backlog is sent
 * first, oldest first. Faults from the device's FaultState: bad-crc (CRC off by one),
 * garbled (noise instead of a packet), timeout (the packet is not sent), drop (link down),
 * clock-skew (DataTime shifted, via the sample timestamps). A wrong password is the `pw`
 * option (or setPassword) differing from the platform's configuration.
 */
import { connect, type Socket } from 'node:net';
import { type Hj212Point, hj212, isHj212Point } from '@ganzhi/device-profiles';
import { seededRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { SimDevice } from '../device/sim-device.js';
import { formatHj212 } from './values.js';

export interface Hj212LoggerOptions {
  device: SimDevice;
  /** the platform's listener */
  host?: string;
  port: number;
  mn: string;
  pw: string;
  /** system code; default the profile's hj212.st, else 22 */
  st?: string;
  /** real-time period; default the profile's hj212.intervalMs, else 30 000 */
  intervalMs?: number;
  /** ask for a 9014 acknowledgement (Flag = 5); default true */
  ack?: boolean;
  ackTimeoutMs?: number;
  retries?: number;
  reconnectMs?: number;
  tzOffsetMinutes?: number;
  seed?: number;
  logger?: Logger;
}

interface Pending {
  qn: string;
  packet: Uint8Array;
  tries: number;
  deadline: number;
}

/** One data packet the logger built: the ground truth of what a correct platform stores. */
export interface Hj212SentPacket {
  qn: string;
  cn: string;
  dataTime: string;
  /** DataTime as epoch ms (in the logger's time zone) */
  ts: number;
  /** per point name: the value as a reader parses it from the packet's text */
  values: Record<string, number>;
  /** per point name: the -Flag sent */
  flags: Record<string, string>;
}

export interface Hj212LoggerStats {
  sent: number;
  /** packets sent from the history backlog (after an outage) */
  history: number;
  resent: number;
  acked: number;
  backlog: number;
  connects: number;
}

const PERIOD_MS: Record<string, number> = { '2051': 60_000, '2061': 3_600_000, '2031': 86_400_000 };

export class Hj212DataLogger {
  private sock: Socket | undefined;
  private connected = false;
  private stopped = false;
  private readonly pending = new Map<string, Pending>();
  private readonly backlog: Uint8Array[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly noise: () => number;
  private lastQn = 0;
  private readonly lastPeriodEnd = new Map<string, number>();
  private pw: string;
  readonly counts: Hj212LoggerStats = { sent: 0, history: 0, resent: 0, acked: 0, backlog: 0, connects: 0 };
  /** every data packet built (the last 100 000), oldest first, whether or not it reached the platform */
  readonly journal: Hj212SentPacket[] = [];

  constructor(private readonly opts: Hj212LoggerOptions) {
    this.pw = opts.pw;
    this.noise = seededRandom(opts.seed ?? 1);
  }

  get device(): SimDevice {
    return this.opts.device;
  }

  setPassword(pw: string): void {
    this.pw = pw;
  }

  start(): void {
    const every = this.opts.intervalMs ?? this.opts.device.profile.hj212?.intervalMs ?? 30_000;
    this.connect();
    this.timers.push(setInterval(() => this.tick(), every));
    this.timers.push(setInterval(() => this.checkAcks(), Math.min(250, this.ackTimeout() / 4)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.sock?.destroy();
  }

  private ackTimeout(): number {
    return this.opts.ackTimeoutMs ?? 5_000;
  }

  private connect(): void {
    if (this.stopped) return;
    const s = connect({ host: this.opts.host ?? '127.0.0.1', port: this.opts.port });
    this.sock = s;
    const deframer = new hj212.Hj212Deframer();
    s.on('connect', () => {
      this.connected = true;
      this.counts.connects++;
      // history first, oldest first
      while (this.connected && this.backlog.length > 0) this.transmit(this.backlog.shift()!, true);
      this.counts.backlog = this.backlog.length;
    });
    s.on('data', (chunk: Buffer) => {
      for (const r of deframer.push(chunk)) {
        if (!r.ok) continue;
        const seg = hj212.parseSegment(r.frame.segment);
        if (seg.ok && seg.segment.cn === '9014' && seg.segment.qn && this.pending.delete(seg.segment.qn))
          this.counts.acked++;
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      this.connected = false;
      if (this.sock === s) this.sock = undefined;
      // unacknowledged packets become history
      for (const p of this.pending.values()) this.backlog.push(p.packet);
      this.pending.clear();
      this.counts.backlog = this.backlog.length;
      if (!this.stopped) this.timers.push(setTimeout(() => this.connect(), this.opts.reconnectMs ?? 1_000));
    });
  }

  /** QN = YYYYMMDDhhmmsszzz of the logger's clock, strictly increasing */
  private nextQn(now: number): string {
    const ms = Math.max(now, this.lastQn + 1);
    this.lastQn = ms;
    return hj212.epochToQn(ms, this.opts.tzOffsetMinutes ?? 480);
  }

  private tick(): void {
    const d = this.opts.device;
    const now = d.now();
    const points = d.profile.points.filter(isHj212Point);
    const rtd = points.filter((p) => (p.hj212.cn ?? '2011') === '2011');
    if (rtd.length > 0) this.emit('2011', rtd, now);
    for (const [cn, period] of Object.entries(PERIOD_MS)) {
      const ps = points.filter((p) => p.hj212.cn === cn);
      if (ps.length === 0) continue;
      const end = Math.floor(now / period) * period;
      const last = this.lastPeriodEnd.get(cn);
      this.lastPeriodEnd.set(cn, end);
      if (last !== undefined && end > last) this.emit(cn, ps, end);
    }
  }

  /** Builds one data packet; a period packet's DataTime is the period's start. */
  private emit(cn: string, points: Hj212Point[], at: number): void {
    const d = this.opts.device;
    if (d.faults.isActive('timeout', d.now())) return;
    const byCode = new Map<string, hj212.DataValueInput>();
    const values: Record<string, number> = {};
    const flags: Record<string, string> = {};
    let ts: number | undefined;
    for (const p of points) {
      const s = d.sample(p.name, d.now());
      if (!s || typeof s.value !== 'number') continue;
      ts ??= s.sourceTs;
      const field = p.hj212.field ?? 'Rtd';
      const e = byCode.get(p.hj212.code) ?? {
        code: p.hj212.code,
        fields: {},
        flag: s.status === 'good' ? 'N' : 'D',
      };
      e.fields[field] = formatHj212(s.value);
      values[p.name] = Number(e.fields[field]);
      flags[p.name] = e.flag ?? 'N';
      byCode.set(p.hj212.code, e);
    }
    if (byCode.size === 0 || ts === undefined) return;
    const skew = ts - d.now();
    const tz = this.opts.tzOffsetMinutes ?? 480;
    const dataAt = cn === '2011' ? ts : at - (PERIOD_MS[cn] ?? 0) + skew;
    const dataTime = hj212.epochToDataTime(dataAt, tz);
    const cp = hj212.buildMonitoringCp(dataTime, [...byCode.values()]);
    const ack = this.opts.ack ?? true;
    const qn = this.nextQn(d.now());
    this.journal.push({ qn, cn, dataTime, ts: hj212.dataTimeToEpoch(dataTime, tz) ?? dataAt, values, flags });
    if (this.journal.length > 100_000) this.journal.splice(0, this.journal.length - 100_000);
    const segment = hj212.buildSegment({
      qn,
      st: this.opts.st ?? d.profile.hj212?.st ?? '22',
      cn,
      pw: this.pw,
      mn: this.opts.mn,
      flag: ack ? 5 : 4,
      cp,
    });
    let packet = hj212.encodePacket(segment);
    if (d.faults.frame(d.now()).action === 'bad-crc' || d.faults.isActive('bad-crc', d.now())) {
      packet = packet.slice();
      const i = packet.length - 3; // last CRC digit
      packet[i] = packet[i] === 0x30 ? 0x31 : 0x30;
    }
    if (!this.connected || d.faults.isActive('drop', d.now())) {
      if (this.connected) this.sock?.destroy();
      this.backlog.push(packet);
      this.counts.backlog = this.backlog.length;
      return;
    }
    if (ack) this.pending.set(qn, { qn, packet, tries: 0, deadline: d.now() + this.ackTimeout() });
    this.transmit(packet, false);
  }

  private transmit(packet: Uint8Array, history: boolean): void {
    const d = this.opts.device;
    let out = packet;
    if (d.faults.isActive('garbled', d.now()))
      out = Uint8Array.from(packet, () => Math.floor(this.noise() * 256));
    this.sock?.write(out);
    this.counts.sent++;
    if (history) this.counts.history++;
    if (history && (this.opts.ack ?? true)) {
      const seg = hj212.decodePacket(packet);
      const qn = seg.ok ? hj212.parseSegment(seg.segment) : undefined;
      if (qn?.ok && qn.segment.qn) {
        this.pending.set(qn.segment.qn, {
          qn: qn.segment.qn,
          packet,
          tries: 0,
          deadline: d.now() + this.ackTimeout(),
        });
      }
    }
  }

  private checkAcks(): void {
    const now = this.opts.device.now();
    for (const p of [...this.pending.values()]) {
      if (now < p.deadline || !this.connected) continue;
      if (p.tries >= (this.opts.retries ?? 3)) {
        this.pending.delete(p.qn);
        this.backlog.push(p.packet);
        this.counts.backlog = this.backlog.length;
        continue;
      }
      p.tries++;
      p.deadline = now + this.ackTimeout();
      this.counts.resent++;
      this.sock?.write(p.packet);
    }
  }
}

export function startHj212Logger(opts: Hj212LoggerOptions): Hj212DataLogger {
  const l = new Hj212DataLogger(opts);
  l.start();
  return l;
}
