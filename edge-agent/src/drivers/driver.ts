/**
 * The driver interface: drivers know bytes and sessions; acquisition knows readings.
 *
 * A driver serves one device instance. The scheduler calls `read()` once per cycle. Poll
 * drivers (Modbus) execute the read plan; push drivers (OPC UA subscriptions, serial
 * streams) return what arrived since the previous call plus bad-quality readings for
 * outages. `read()` never rejects for a device fault: faults become bad-quality readings
 * with a reason. It rejects only when the driver was closed.
 *
 * What a driver is given is its protocol's device spec (`DeviceSpecBase` plus the protocol's
 * own endpoint and options, see drivers/protocols.ts); drivers never read the config file.
 */
import type { Point, Profile, Reading } from '@ganzhi/device-profiles';
import type { Clock, Random } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { LineRegistry } from './lines.js';

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

export interface ReportByExceptionSpec {
  enabled: boolean;
  /** heartbeat: every point is reported at least this often */
  maxSilenceMs: number;
}

/** What every endpoint has: its scheme (which picks the protocol) and the URL as configured. */
export interface EndpointBase {
  scheme: string;
  url: string;
}

/** What every device instance has, whatever its protocol (resolved from the config). */
export interface DeviceSpecBase {
  /** the profile protocol; discriminates the device spec union (drivers/protocols.ts) */
  protocol: string;
  id: string;
  profile: Profile;
  /** the points to read (the configured subset, with per-device overrides applied) */
  points: Point[];
  endpoint: EndpointBase;
  timeoutMs: number;
  retries: number;
  pollIntervalMs: number;
  backoff: SlaveBackoff;
  reportByException?: ReportByExceptionSpec;
}

export interface DriverContext {
  /** this device's logger (already carries `device`) */
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

/** Where a point is read, as the driver actually addresses it (for the status page). */
export interface PointAddress {
  /** the stable form, e.g. `nsu=<the URI the server advertises>;s=Pump1.Flow` */
  address: string;
  /** the session's form when it differs, e.g. `ns=2;s=Pump1.Flow`, or why it cannot be read */
  resolved?: string;
}

/** One point to write: the profile point (already checked: writable, in range, right type). */
export interface PointWrite {
  point: Point;
  /** engineering value, as the command gave it */
  value: number | boolean | string;
}

export interface WriteOptions {
  /** read each point back after writing and compare (contract: CommandRequest.readback) */
  readback: boolean;
  /** clock time (ms) after which the driver stops trying and answers `timeout` */
  deadline: number;
}

/**
 * What happened to one point of a write, as the driver saw it (the executor adds `rejected`,
 * `expired` and `interrupted`, which never reach a driver). `raw` is what went on the wire:
 * registers as unsigned 16-bit words in wire order, a coil state, or the OPC UA value.
 */
export interface WriteOutcome {
  point: string;
  outcome: 'ok' | 'rejected' | 'timeout' | 'device-exception' | 'readback-mismatch';
  raw?: number[] | boolean | number | string;
  readback?: number | boolean | string | null;
  reason?: string;
  /** Modbus exception code (e.g. `02`) or OPC UA status name (e.g. `BadNotWritable`) */
  code?: string;
}

export interface Driver {
  readonly device: string;
  /** Opens the session. Rejects if the first connection fails; read() reconnects anyway. */
  connect(): Promise<void>;
  read(): Promise<DriverReading[]>;
  /**
   * Optional: the readings of the last read() were accepted by the sink (the durable buffer).
   * Push drivers whose devices wait for an acknowledgement (HJ 212) send it here, so that
   * nothing the device was told is delivered can be lost by the gateway.
   */
  delivered?(): void;
  status(): DriverStatus;
  /**
   * Optional: writes points (commands, issue 15). One outcome per write, in order; never
   * rejects for a device fault (the fault is the outcome). A driver without it cannot be
   * commanded (the executor answers `rejected`).
   */
  write?(writes: readonly PointWrite[], opts: WriteOptions): Promise<WriteOutcome[]>;
  close(): Promise<void>;
  /** point name → address, where the driver rewrites the profile's (OPC UA namespace URIs) */
  addresses?(): ReadonlyMap<string, PointAddress>;
}

/**
 * Makes a protocol's driver for one device. (A method, so that a protocol's factory of its own
 * spec type stands in the protocol table beside the others.)
 */
export interface DriverFactory<S extends DeviceSpecBase = DeviceSpecBase> {
  create(spec: S, ctx: DriverContext): Driver;
}

/** A bad-quality reading of a point: the form every outage and refusal takes. */
export function badReading(device: string, point: Point, ts: number, reason: string): DriverReading {
  return { device, point: point.name, value: null, unit: point.unit, ts, quality: 'bad', reason };
}
