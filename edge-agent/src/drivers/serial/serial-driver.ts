/**
 * A line-oriented serial device (NMEA GPS, ASCII weather station): the device talks, the
 * driver listens. Frames are cut, checked and parsed as they arrive; each read() returns the
 * newest value of every point that arrived since the previous read(). A frame refused by its
 * checksum (or framing) makes the points it carries bad with the reason at once, unless a good
 * value of the point arrived since the previous read(). A point with nothing new for `staleMs`
 * becomes bad with the reason (connection down, checksum failures, no data).
 * The connection (serial port or TCP socket) reconnects with capped backoff and jitter.
 */
import type { Duplex } from 'node:stream';
import { isSerialPoint, type SerialLine, type SerialPoint } from '@ganzhi/device-profiles';
import { backoffDelay } from '@ganzhi/runtime';
import { DeviceStatusTracker } from '../device-status.js';
import {
  badReading,
  type DeviceState,
  type Driver,
  type DriverContext,
  type DriverReading,
  type DriverStatus,
} from '../driver.js';
import { frameFailure, parseFrame } from './frame-parser.js';
import { createFramer, type Framer } from './framer.js';
import type { SerialDeviceSpec } from './options.js';

export type OpenStream = () => Promise<Duplex>;

interface Latest {
  reading: DriverReading;
  fresh: boolean;
}

export class SerialDriver implements Driver {
  readonly device: string;
  private readonly points: SerialPoint[];
  private readonly line: SerialLine;
  private readonly latest = new Map<string, Latest>();
  private readonly tracker: DeviceStatusTracker;
  private stream: Duplex | undefined;
  private framer: Framer;
  private failures = 0;
  private reconnectTimer: unknown;
  private closed = false;
  private connectedAt = 0;
  private lastGoodFrame = 0;
  readonly frames = { ok: 0, checksumFailed: 0 };

  constructor(
    private readonly spec: SerialDeviceSpec,
    private readonly ctx: DriverContext,
    private readonly open: OpenStream,
  ) {
    this.device = spec.id;
    this.points = spec.points.filter(isSerialPoint);
    this.line = spec.profile.serial ?? { framing: { kind: 'line' }, checksum: 'none' };
    this.framer = createFramer(this.line.framing);
    this.tracker = new DeviceStatusTracker(ctx.clock.now(), 'not connected');
  }

  private get staleMs(): number {
    return 3 * Math.max(this.spec.pollIntervalMs, this.line.intervalMs ?? 1000);
  }

  async connect(): Promise<void> {
    if (this.stream || this.closed) return;
    try {
      const s = await this.open();
      if (this.closed) {
        s.destroy();
        return;
      }
      this.stream = s;
      this.framer = createFramer(this.line.framing);
      this.connectedAt = this.ctx.clock.now();
      this.failures = 0;
      this.tracker.lastError = undefined;
      s.on('data', (chunk: Buffer) => this.onData(chunk));
      s.on('error', (err: Error) =>
        this.onDown(`connection: ${(err as { code?: string }).code ?? err.message}`),
      );
      s.on('close', () => this.onDown('connection: closed'));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.onDown(`connection: ${e.code ?? e.message ?? String(err)}`);
      throw err;
    }
  }

  private onDown(reason: string): void {
    if (this.stream) {
      this.stream.removeAllListeners('data');
      this.stream.destroy();
      this.stream = undefined;
    }
    this.tracker.lastError = reason;
    if (this.closed || this.reconnectTimer !== undefined) return;
    this.failures++;
    this.tracker.counters.errors++;
    const delay = backoffDelay(this.failures, { initialMs: 1000, maxMs: 60_000 }, this.ctx.random);
    if (this.failures === 1) this.ctx.logger.warn({ reason }, 'serial connection lost');
    this.reconnectTimer = this.ctx.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.tracker.counters.reconnects++;
      this.connect().catch(() => undefined);
    }, delay);
  }

  private onData(chunk: Buffer): void {
    const now = this.ctx.clock.now();
    for (const frame of this.framer.push(chunk)) {
      const parsed = parseFrame(frame, this.line, this.points);
      if (parsed.checksum === 'failed') {
        this.frames.checksumFailed++;
        this.tracker.counters.errors++;
        this.tracker.lastError = frameFailure(parsed.reason ?? 'refused');
        // the points of a refused frame turn bad, unless a good value arrived since the last read
        for (const { point, result } of parsed.values) {
          const prev = this.latest.get(point.name);
          if (result.ok || (prev?.fresh && prev.reading.quality !== 'bad')) continue;
          this.latest.set(point.name, {
            reading: badReading(this.device, point, now, result.reason),
            fresh: true,
          });
        }
        continue;
      }
      this.frames.ok++;
      if (parsed.values.length > 0) this.lastGoodFrame = now;
      for (const { point, result } of parsed.values) {
        const base = { device: this.device, point: point.name, unit: point.unit, ts: now };
        const reading: DriverReading = result.ok
          ? { ...base, value: result.value, quality: 'good' }
          : { ...base, value: null, quality: 'bad', reason: result.reason };
        if (result.ok && typeof result.value === 'number' && point.range) {
          if (result.value < point.range.min || result.value > point.range.max) {
            reading.quality = 'uncertain';
            reading.reason = 'out of range';
          }
        }
        this.latest.set(point.name, { reading, fresh: true });
      }
    }
  }

  async read(): Promise<DriverReading[]> {
    if (this.closed) throw new Error('driver closed');
    const now = this.ctx.clock.now();
    this.tracker.counters.cycles++;
    const out: DriverReading[] = [];
    const quietSince = Math.max(this.lastGoodFrame, this.connectedAt);
    for (const p of this.points) {
      const l = this.latest.get(p.name);
      if (l?.fresh) {
        l.fresh = false;
        out.push(l.reading);
        continue;
      }
      const last = l?.reading.ts ?? quietSince;
      if (now - last >= this.staleMs || !this.stream) {
        const reason = !this.stream
          ? (this.tracker.lastError ?? 'not connected')
          : (this.tracker.lastError ?? 'no data');
        out.push(badReading(this.device, p, now, reason));
      }
    }
    const good = out.filter((r) => r.quality !== 'bad').length;
    const bad = out.length - good;
    const s: DeviceState = !this.stream || (bad > 0 && good === 0) ? 'down' : bad > 0 ? 'degraded' : 'up';
    this.tracker.setState(s, now);
    if (good > 0 && this.stream) this.tracker.lastError = undefined;
    return out;
  }

  status(): DriverStatus {
    return this.tracker.snapshot();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== undefined) this.ctx.clock.clearTimeout(this.reconnectTimer);
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      s.removeAllListeners('data');
      await new Promise<void>((resolve) => {
        // a serial port may never confirm: wait at most 500 ms
        const t = this.ctx.clock.setTimeout(resolve, 500);
        s.once('close', () => {
          this.ctx.clock.clearTimeout(t);
          resolve();
        });
        s.destroy();
      });
    }
  }
}
