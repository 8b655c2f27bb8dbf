/**
 * The acquisition runtime: one driver and one scheduler per device, drivers loaded lazily
 * by endpoint scheme, shared lines ref-counted, readings out through one ReadingSink.
 */
import { type Clock, type Random, systemClock, systemRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { LastReadings } from './acquisition/last-readings.js';
import { ReportByException } from './acquisition/report-by-exception.js';
import { DeviceScheduler } from './acquisition/scheduler.js';
import type { ReadingSink } from './acquisition/sink.js';
import { SlotTimers } from './acquisition/slot-timers.js';
import type { Driver, DriverContext } from './drivers/driver.js';
import { createLineRegistry } from './drivers/lines.js';
import type { DeviceSpec } from './drivers/protocols.js';
import { DriverRegistry } from './drivers/registry.js';

export interface AgentOptions {
  devices: DeviceSpec[];
  sink: ReadingSink;
  logger: Logger;
  clock?: Clock;
  random?: Random;
  drivers?: DriverRegistry;
}

export interface DeviceRuntime {
  spec: DeviceSpec;
  driver: Driver;
  scheduler: DeviceScheduler;
  /** last reading per point (before report-by-exception) */
  last: LastReadings;
}

export class Agent {
  readonly devices: DeviceRuntime[] = [];
  private started = false;

  private constructor(private readonly o: AgentOptions & { clock: Clock; random: Random }) {}

  /** Loads the drivers the devices need and builds one scheduler per device (does not start polling). */
  static async create(opts: AgentOptions): Promise<Agent> {
    const a = new Agent({ ...opts, clock: opts.clock ?? systemClock, random: opts.random ?? systemRandom });
    await a.build();
    return a;
  }

  private async build(): Promise<void> {
    const { clock, random, logger, sink } = this.o;
    const registry = this.o.drivers ?? new DriverRegistry();
    const lines = createLineRegistry(logger);
    const timers = new SlotTimers(clock);
    for (const spec of this.o.devices) {
      const factory = await registry.load(spec.endpoint.scheme);
      // the device's logger carries `device`: what the driver logs never repeats it
      const ctx: DriverContext = { clock, random, lines, logger: logger.child({ device: spec.id }) };
      const driver = factory.create(spec, ctx);
      const last = new LastReadings();
      const rbeSpec = spec.reportByException;
      const rbe = rbeSpec?.enabled
        ? new ReportByException({
            deadbands: new Map(
              spec.points.filter((p) => p.deadband !== undefined).map((p) => [p.name, p.deadband as number]),
            ),
            maxSilenceMs: rbeSpec.maxSilenceMs,
          })
        : undefined;
      const scheduler = new DeviceScheduler({
        driver,
        intervalMs: spec.pollIntervalMs,
        clock,
        random,
        sink,
        timers,
        logger: ctx.logger,
        ...(rbe ? { rbe } : {}),
        batch: {
          profile: spec.profile.id,
          profileVersion: spec.profile.version,
          model: spec.profile.model,
          measurement: spec.profile.measurement,
        },
        onCycle: (readings) => last.update(readings),
      });
      this.devices.push({ spec, driver, scheduler, last });
    }
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(
      this.devices.map((d) =>
        d.driver
          .connect()
          .catch((err) => this.o.logger.warn({ err, device: d.spec.id }, 'first connect failed')),
      ),
    );
    for (const d of this.devices) d.scheduler.start();
  }

  /** Stops polling, waits for cycles in progress, closes drivers (and their lines). */
  async stop(): Promise<void> {
    await Promise.all(this.devices.map((d) => d.scheduler.stop()));
    await Promise.all(this.devices.map((d) => d.driver.close().catch(() => undefined)));
    this.started = false;
  }
}
