/**
 * The value feed: once per tick, every served point is sampled exactly once
 * (SimPointSource.sample — one served sample per point per tick, however many clients
 * read or subscribe) and pushed into its variable with the sample's source timestamp and
 * status. Client reads and subscriptions only ever see these pushed values. A sample is an
 * ENGINEERING value; the variable carries the raw value the profile describes
 * (servedValue: enum label → key, offset and scale inverted, rounded to the data type).
 *
 * Ticks are aligned to multiples of tickMs on the wall clock, so devices sampled by one
 * server change together. A tick that overruns the next one is skipped and counted
 * (never stacked).
 */
import { DataType, type StatusCode, StatusCodes, Variant } from 'node-opcua';
import type { Logger } from 'pino';
import type { SampleStatus } from '../device/source.js';
import type { PointBinding } from './address-space.js';
import { BUILTIN_TYPE_ID, servedValue } from './data-types.js';

/** good → Good, uncertain → UncertainLastUsableValue, bad → BadSensorFailure */
export const STATUS_FOR: Record<SampleStatus, StatusCode> = {
  good: StatusCodes.Good,
  uncertain: StatusCodes.UncertainLastUsableValue,
  bad: StatusCodes.BadSensorFailure,
};

export interface FeedStats {
  ticks: number;
  /** ticks skipped because the previous one ran past their start */
  overruns: number;
  /** variable updates pushed (= samples served) since start */
  updates: number;
  /** samples whose value could not be converted to the variable's type (served as Bad) */
  conversionErrors: number;
  lastTickMs: number;
}

export interface ValueFeed {
  /** samples every point once now (also used to prime values before the server listens) */
  tick(now?: number): void;
  start(): void;
  stop(): void;
  stats(): FeedStats;
}

const WARN_EVERY_MS = 60_000;

export function createValueFeed(bindings: readonly PointBinding[], tickMs: number, log?: Logger): ValueFeed {
  const stats: FeedStats = { ticks: 0, overruns: 0, updates: 0, conversionErrors: 0, lastTickMs: 0 };
  const typeIds = bindings.map((b) => BUILTIN_TYPE_ID[b.dataType] as DataType);
  let timer: NodeJS.Timeout | undefined;
  let lastWarn = 0;

  const warn = (msg: string, fields: Record<string, unknown>): void => {
    const now = Date.now();
    if (now - lastWarn < WARN_EVERY_MS) return;
    lastWarn = now;
    log?.warn(fields, msg);
  };

  const tick = (now = Date.now()): void => {
    const t0 = performance.now();
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i] as PointBinding;
      // a tick that runs late samples its slot's time: for a point written since, that sample is
      // from before the write and would undo it until the next tick
      if (b.writtenAt !== undefined && b.writtenAt > now) continue;
      try {
        const s = b.device.sample(b.point.name, now);
        if (!s) continue;
        let status = STATUS_FOR[s.status];
        const v = servedValue(b.point, b.dataType, s.value);
        if (v === undefined) {
          stats.conversionErrors++;
          status = StatusCodes.BadInternalError;
          warn('sample value does not fit the variable type; served as Bad', {
            device: b.device.id,
            point: b.point.name,
            dataType: b.dataType,
          });
        }
        const variant =
          v === undefined || v === null
            ? new Variant({ dataType: DataType.Null, value: null })
            : new Variant({ dataType: typeIds[i] as DataType, value: v });
        b.variable.setValueFromSource(variant, status, new Date(s.sourceTs));
        stats.updates++;
      } catch (err) {
        warn('cannot update OPC-UA variable', {
          device: b.device.id,
          point: b.point.name,
          err: (err as Error).message,
        });
      }
    }
    stats.ticks++;
    stats.lastTickMs = performance.now() - t0;
  };

  const schedule = (): void => {
    const now = Date.now();
    const slot = Math.floor(now / tickMs) * tickMs + tickMs;
    timer = setTimeout(() => {
      tick(slot);
      // a tick that ran past the next slot(s): those slots are skipped, and counted
      const missed = Math.floor((Date.now() - slot) / tickMs);
      if (missed > 0) {
        stats.overruns += missed;
        warn('OPC-UA value feed overran its tick', {
          tickMs,
          lastTickMs: stats.lastTickMs,
          points: bindings.length,
        });
      }
      if (timer) schedule();
    }, slot - now);
  };

  return {
    tick,
    start() {
      if (!timer) schedule();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    stats: () => ({ ...stats }),
  };
}
