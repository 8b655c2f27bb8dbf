/**
 * The driver interface: drivers know bytes and sessions; acquisition knows readings.
 *
 * A driver serves one device instance. The scheduler calls `read()` once per cycle. Poll
 * drivers (Modbus) execute the read plan; push drivers (OPC UA subscriptions, serial
 * streams) return what arrived since the previous call plus bad-quality readings for
 * outages. `read()` never rejects for a device fault: faults become bad-quality readings
 * with a reason. It rejects only when the driver was closed.
 */
import type { Point, Profile, Reading } from '@ganzhi/device-profiles';
import type { Logger } from 'pino';
import type { Clock, Random } from '../clock.js';
import type { Endpoint } from '../config/endpoint.js';

/** A reading plus the raw protocol words it was decoded from (for the status page and probe). */
export interface DriverReading extends Reading {
  /** 16-bit registers (or 0/1 per coil) as read, when the protocol has them */
  raw?: number[];
}

export interface SlaveBackoff {
  /** consecutive failed cycles after which the device is backed off; default 3 */
  failures: number;
  /** first backoff period; doubles per further failure up to maxMs */
  initialMs: number;
  maxMs: number;
}

/** Everything a driver needs to know about one device instance (resolved from the config). */
export interface DeviceSpec {
  id: string;
  profile: Profile;
  /** the points to read (the configured subset, with per-device overrides applied) */
  points: Point[];
  endpoint: Endpoint;
  unitId: number;
  timeoutMs: number;
  retries: number;
  pollIntervalMs: number;
  backoff: SlaveBackoff;
  /** protocol-specific options from the config (e.g. opcua security), already secret-resolved */
  options: Record<string, unknown>;
}

export interface DriverContext {
  logger: Logger;
  clock: Clock;
  random: Random;
  /** shared between drivers of one agent: transports for shared lines */
  lines: LineRegistry;
}

export interface DriverCounters {
  cycles: number;
  requests: number;
  errors: number;
  timeouts: number;
  reconnects: number;
  skipped: number;
}

export type DeviceState = 'up' | 'degraded' | 'down' | 'unknown';

export interface DriverStatus {
  state: DeviceState;
  since: number;
  lastError?: string;
  counters: DriverCounters;
}

export interface Driver {
  readonly device: string;
  /** Opens the session. Rejects if the first connection fails; read() reconnects anyway. */
  connect(): Promise<void>;
  read(): Promise<DriverReading[]>;
  status(): DriverStatus;
  close(): Promise<void>;
}

export type DriverFactory = (spec: DeviceSpec, ctx: DriverContext) => Driver;

/** Shared transports, keyed by line (see lineKey); ref-counted by the drivers using them. */
export interface LineRegistry {
  acquire<T extends { close(): Promise<void> }>(key: string, create: () => T): T;
  release(key: string): Promise<void>;
}

export function createLineRegistry(): LineRegistry {
  const lines = new Map<string, { value: { close(): Promise<void> }; refs: number }>();
  return {
    acquire<T extends { close(): Promise<void> }>(key: string, create: () => T): T {
      let entry = lines.get(key);
      if (!entry) {
        entry = { value: create(), refs: 0 };
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

export const emptyCounters = (): DriverCounters => ({
  cycles: 0,
  requests: 0,
  errors: 0,
  timeouts: 0,
  reconnects: 0,
  skipped: 0,
});
