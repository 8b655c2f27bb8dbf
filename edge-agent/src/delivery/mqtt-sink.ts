/**
 * The store-and-forward reading sink: acquisition's batches go into the uplink's durable log
 * (accepted = appended, once per poll slot), status changes become retained device status
 * messages.
 */
import type { DeviceStatusEvent, ReadingBatch, ReadingSink } from '../acquisition/sink.js';
import type { Uplink } from './uplink.js';

export class MqttSink implements ReadingSink {
  constructor(private readonly uplink: Uplink) {}

  /**
   * Resolves once the batch is in the durable log, with the other devices of its poll slot
   * (Uplink.accept); false when the buffer refused it (disk full: counted and logged by the
   * uplink).
   */
  async write(batch: ReadingBatch): Promise<boolean> {
    if (batch.readings.length === 0) return true;
    return (await this.uplink.accept(batch.device, batch.readings)) > 0;
  }

  status(e: DeviceStatusEvent): void {
    this.uplink.setStatus(e.device, {
      state: e.state,
      ts: e.ts,
      since: e.since,
      ...(e.lastError !== undefined ? { lastError: e.lastError.slice(0, 256) } : {}),
      counters: {
        cycles: e.counters.cycles,
        errors: e.counters.errors,
        timeouts: e.counters.timeouts,
        reconnects: e.counters.reconnects,
        overruns: e.counters.overruns,
      },
    });
  }

  async close(): Promise<void> {
    /* the uplink is stopped by its owner, after acquisition */
  }
}
