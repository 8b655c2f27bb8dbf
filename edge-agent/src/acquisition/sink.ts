/**
 * Where readings leave acquisition. Part 2 (delivery) implements the durable MQTT sink;
 * here: a JSON-lines writer and an in-memory sink for tests.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { DeviceState, DriverCounters, DriverReading } from '../drivers/driver.js';

/** One device's readings from one cycle (after report-by-exception filtering). */
export interface ReadingBatch {
  device: string;
  /** profile id, profile version, model and measurement: enough for the wire envelope */
  profile: string;
  profileVersion: string;
  model: string;
  measurement: string;
  readings: DriverReading[];
}

export interface DeviceStatusEvent {
  device: string;
  state: DeviceState;
  ts: number;
  since: number;
  lastError?: string;
  counters: DriverCounters & { overruns: number };
}

export interface ReadingSink {
  /**
   * Accepts one batch. Resolves when the batch is accepted (for the store-and-forward sink:
   * durably appended). The scheduler awaits it before the device's next cycle, so a slow sink
   * slows polling instead of growing memory. Must not be called again after close().
   * Resolves to `false` when the batch was refused without an exception (a full buffer disk):
   * then the driver is not told its readings were delivered (see Driver.delivered).
   */
  write(batch: ReadingBatch): Promise<boolean | undefined> | Promise<void> | boolean | undefined | void;
  /** The device's state changed (up/degraded/down), or its counters at a status interval. */
  status?(event: DeviceStatusEvent): Promise<void> | void;
  close(): Promise<void>;
}

/** JSON lines on a stream: one line per reading (`raw` included), one per status change. */
export class JsonLinesSink implements ReadingSink {
  constructor(private readonly out: Writable) {}

  /** Resolves at once, or when a slow consumer (a pipe) has drained: polling waits rather than buffering without bound. */
  write(batch: ReadingBatch): Promise<void> | void {
    let text = '';
    for (const r of batch.readings) text += `${JSON.stringify({ type: 'reading', ...r })}\n`;
    if (text && !this.out.write(text)) return once(this.out, 'drain').then(() => undefined);
  }

  status(event: DeviceStatusEvent): void {
    this.out.write(`${JSON.stringify({ type: 'status', ...event })}\n`);
  }

  async close(): Promise<void> {
    /* the stream belongs to the caller */
  }
}

/** Keeps everything in memory (tests, probe). */
export class MemorySink implements ReadingSink {
  readonly batches: ReadingBatch[] = [];
  readonly statuses: DeviceStatusEvent[] = [];
  private listeners: ((b: ReadingBatch) => void)[] = [];

  write(batch: ReadingBatch): void {
    this.batches.push(batch);
    for (const l of this.listeners) l(batch);
  }

  status(event: DeviceStatusEvent): void {
    this.statuses.push(event);
  }

  onBatch(l: (b: ReadingBatch) => void): void {
    this.listeners.push(l);
  }

  readings(device?: string): DriverReading[] {
    return this.batches.filter((b) => !device || b.device === device).flatMap((b) => b.readings);
  }

  async close(): Promise<void> {}
}
