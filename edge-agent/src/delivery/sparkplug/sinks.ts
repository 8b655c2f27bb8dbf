import type { DeviceStatusEvent, ReadingBatch, ReadingSink } from '../../acquisition/sink.js';
import type { SparkplugEdgeNode } from './edge-node.js';

/** Acquisition → the Sparkplug edge node: readings to its buffer, device down/up to DDEATH/DBIRTH. */
export class SparkplugSink implements ReadingSink {
  constructor(private readonly node: SparkplugEdgeNode) {}

  write(batch: ReadingBatch): void {
    this.node.write(batch.device, batch.readings);
  }

  status(e: DeviceStatusEvent): void {
    this.node.deviceState(e.device, e.state !== 'down');
  }

  async close(): Promise<void> {
    /* the node is stopped by its owner, after acquisition */
  }
}

/** Both formats: every batch and status goes to each sink (`delivery.format: both`). */
export class TeeSink implements ReadingSink {
  constructor(private readonly sinks: ReadingSink[]) {}

  /** false when any sink refused the batch (so a push driver does not acknowledge it). */
  async write(batch: ReadingBatch): Promise<boolean> {
    let accepted = true;
    for (const s of this.sinks) if ((await s.write(batch)) === false) accepted = false;
    return accepted;
  }

  async status(e: DeviceStatusEvent): Promise<void> {
    for (const s of this.sinks) await s.status?.(e);
  }

  async close(): Promise<void> {
    for (const s of this.sinks) await s.close();
  }
}
