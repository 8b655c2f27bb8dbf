/**
 * Shared transports, keyed by line (see a protocol's `lineKey`): devices on one RS-485 port,
 * one RTU-over-TCP socket or one Modbus TCP host:port share one transport, ref-counted by the
 * drivers using it. A line logs as itself (`line: <key>`), not as whichever device opened it.
 */
import type { Logger } from 'pino';

export interface LineRegistry {
  /** The line for `key`, made by `create` (with the line's logger) if nobody holds it yet. */
  acquire<T extends { close(): Promise<void> }>(key: string, create: (logger: Logger) => T): T;
  /** Drops one reference; the last one closes the line. */
  release(key: string): Promise<void>;
}

export function createLineRegistry(logger: Logger): LineRegistry {
  const lines = new Map<string, { value: { close(): Promise<void> }; refs: number }>();
  return {
    acquire<T extends { close(): Promise<void> }>(key: string, create: (logger: Logger) => T): T {
      let entry = lines.get(key);
      if (!entry) {
        entry = { value: create(logger.child({ line: key })), refs: 0 };
        lines.set(key, entry);
      }
      entry.refs++;
      return entry.value as T;
    },
    async release(key: string): Promise<void> {
      const entry = lines.get(key);
      if (!entry) return;
      entry.refs--;
      if (entry.refs <= 0) {
        lines.delete(key);
        await entry.value.close();
      }
    },
  };
}
