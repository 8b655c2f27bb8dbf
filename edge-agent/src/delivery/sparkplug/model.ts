/**
 * The edge node's metric model: one Sparkplug device per configured device, one metric per
 * profile point, aliases unique across the node (tck-id-payloads-alias-uniqueness; 1, 2, … in
 * device then point order, so they are stable while the config is), the datatype from the
 * point type, and the last value of each point for the births (tck-id-operational-behavior-
 * data-publish-dbirth-values: current values; never read → is_null with Quality STALE).
 */
import { type Profile, sparkplug, type WireReading } from '@ganzhi/device-profiles';

const { DataType } = sparkplug;

export interface DeviceModel {
  id: string;
  points: PointDef[];
}

export interface PointDef {
  name: string;
  alias: number;
  datatype: number;
  unit: string;
  /** a reading's value as this metric's value; null when it cannot be (is_null) */
  encode(v: WireReading['value']): sparkplug.SparkplugScalar | null;
}

function pointDef(name: string, alias: number, type: string, unit: string): PointDef {
  switch (type) {
    case 'integer':
      return {
        name,
        alias,
        datatype: DataType.Int64,
        unit,
        encode: (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null),
      };
    case 'boolean':
      return {
        name,
        alias,
        datatype: DataType.Boolean,
        unit,
        encode: (v) => (typeof v === 'boolean' ? v : null),
      };
    case 'string':
      return {
        name,
        alias,
        datatype: DataType.String,
        unit,
        encode: (v) => (typeof v === 'string' ? v : null),
      };
    default:
      return {
        name,
        alias,
        datatype: DataType.Double,
        unit,
        encode: (v) => (typeof v === 'number' ? v : null),
      };
  }
}

export class SparkplugModel {
  private readonly byId = new Map<string, DeviceModel>();
  private readonly points = new Map<string, Map<string, PointDef>>();
  private readonly last = new Map<string, WireReading>();

  constructor(devices: { id: string; profile: Profile }[] | DeviceModel[]) {
    let alias = 1; // 0 left out: some hosts treat it as "no alias"
    for (const d of devices) {
      const points =
        'profile' in d ? d.profile.points.map((p) => pointDef(p.name, alias++, p.type, p.unit)) : d.points;
      const m: DeviceModel = { id: d.id, points };
      this.byId.set(d.id, m);
      this.points.set(d.id, new Map(points.map((p) => [p.name, p])));
    }
  }

  devices(): DeviceModel[] {
    return [...this.byId.values()];
  }

  device(id: string): DeviceModel | undefined {
    return this.byId.get(id);
  }

  point(device: string, name: string): PointDef | undefined {
    return this.points.get(device)?.get(name);
  }

  remember(device: string, readings: readonly WireReading[]): void {
    for (const r of readings) {
      const key = `${device}\u0000${r.point}`;
      const prev = this.last.get(key);
      if (!prev || prev.ts <= r.ts) this.last.set(key, r);
    }
  }

  /** The birth metric of a point: name, alias, datatype, current value, unit and quality. */
  birthMetric(device: string, p: PointDef, now: number): sparkplug.MetricIn {
    const r = this.last.get(`${device}\u0000${p.name}`);
    const value = r ? p.encode(r.value) : null;
    const props: Record<string, sparkplug.PropertyIn> = {};
    if (p.unit) props.engUnit = { type: DataType.String, value: p.unit };
    if (!r) props.Quality = { type: DataType.Int32, value: 500 };
    else if (r.quality !== 'good') {
      props.Quality = { type: DataType.Int32, value: r.quality === 'bad' ? 0 : 500 };
      if (r.reason) props.reason = { type: DataType.String, value: r.reason };
    }
    return {
      name: p.name,
      alias: p.alias,
      timestamp: r?.ts ?? now,
      datatype: p.datatype,
      value,
      properties: props,
    };
  }
}
