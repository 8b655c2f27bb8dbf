/**
 * One profile point as an OPC UA monitored item. The point's absolute deadband (engineering
 * units) goes to the server as a DataChangeFilter on the raw value. A server that cannot
 * filter that item (BadFilterNotAllowed — e.g. a Boolean —, BadMonitoredItemFilterUnsupported,
 * …) gets the item without a filter and the deadband is applied here instead. An item the
 * server refuses outright (BadNodeIdUnknown, …) is returned as an error: the caller reports
 * the point as bad every cycle, never as silence.
 */
import type { OpcuaPoint } from '@ganzhi/device-profiles';
import {
  AttributeIds,
  type ClientMonitoredItem,
  type ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
} from 'node-opcua';
import type { DriverReading } from '../driver.js';

const FILTER_REFUSED =
  /^Bad(FilterNotAllowed|MonitoredItemFilterUnsupported|MonitoredItemFilterInvalid|DeadbandFilterInvalid)/;

export interface MonitorOptions {
  samplingInterval: number;
  queueSize: number;
}

export type Monitored =
  | { ok: true; item: ClientMonitoredItem; gate: DeadbandGate | undefined }
  | { ok: false; reason: string };

/**
 * The point's deadband (engineering units, like the rest of the profile) as the server
 * applies it: to the variable's raw value, before the profile's scale and offset.
 */
export function rawDeadband(p: OpcuaPoint): number | undefined {
  if (p.deadband === undefined || p.deadband <= 0) return undefined;
  const scale = Math.abs(p.scale ?? 1);
  return scale > 0 ? p.deadband / scale : p.deadband;
}

/**
 * Client-side absolute deadband with the server's semantics: a reading passes when its
 * quality or reason changed, when it is not numeric, or when it is more than `deadband`
 * away from the last reading that passed.
 */
export class DeadbandGate {
  private last: DriverReading | undefined;
  constructor(readonly deadband: number) {}

  pass(r: DriverReading): boolean {
    const prev = this.last;
    const within =
      prev !== undefined &&
      prev.quality === r.quality &&
      prev.reason === r.reason &&
      typeof prev.value === 'number' &&
      typeof r.value === 'number' &&
      Math.abs(r.value - prev.value) <= this.deadband;
    if (!within) this.last = r;
    return !within;
  }
}

export async function monitorPoint(
  sub: ClientSubscription,
  p: OpcuaPoint,
  nodeId: string,
  o: MonitorOptions,
): Promise<Monitored> {
  const deadband = rawDeadband(p);
  const monitor = (filter: DataChangeFilter | undefined) =>
    sub.monitor(
      { nodeId, attributeId: AttributeIds.Value },
      {
        samplingInterval: o.samplingInterval,
        queueSize: o.queueSize,
        discardOldest: true,
        ...(filter ? { filter } : {}),
      },
      TimestampsToReturn.Both,
    );
  // node-opcua reports a refused item through its statusCode once monitor() resolves (the
  // item's "err" event has fired by then, before a listener could be attached)
  let item = await monitor(
    deadband === undefined
      ? undefined
      : new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: DeadbandType.Absolute,
          deadbandValue: deadband,
        }),
  );
  let gate: DeadbandGate | undefined;
  if (deadband !== undefined && FILTER_REFUSED.test(item.statusCode.name)) {
    item = await monitor(undefined);
    gate = new DeadbandGate(p.deadband as number);
  }
  if (!item.statusCode.isGood()) return { ok: false, reason: `monitored item: ${item.statusCode.name}` };
  return { ok: true, item, gate };
}
