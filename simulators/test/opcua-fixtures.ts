/**
 * Fixtures for the OPC-UA front-end tests: a pump-station profile of our own (nsu= node
 * ids as B's pump-station-opcua uses, plus an i= id, nested folders, every data type
 * family) and FakePointSource — a named fake SimPointSource with deterministic values,
 * a per-point history of what it served, and switchable per-point status for fault
 * injection.
 */
import type { Profile, Value } from '@ganzhi/device-profiles';
import type { PointSample, SampleStatus, SimPointSource } from '../src/device/source.js';

export const PUMP_NS = 'urn:ganzhi:pump-station';

export const pumpProfile: Profile = {
  id: 'test-pump-station',
  version: '1.0.0',
  manufacturer: 'Ganzhi test',
  model: 'PS-1',
  description: 'Pump station PLC served over OPC-UA (test profile)',
  source: { document: 'test fixture' },
  measurement: 'pump_station',
  protocol: 'opcua',
  opcua: { namespaceUri: PUMP_NS },
  points: [
    {
      name: 'flow',
      description: 'outlet flow',
      unit: 'm3/h',
      type: 'float',
      range: { min: 0, max: 500 },
      opcua: { nodeId: `nsu=${PUMP_NS};s=Pump1.Flow` },
    },
    {
      name: 'pressure',
      unit: 'bar',
      type: 'float',
      range: { min: 0, max: 16 },
      opcua: { nodeId: `nsu=${PUMP_NS};s=Pump1.OutletPressure`, dataType: 'Float' },
    },
    {
      name: 'speed',
      unit: '{r}/min',
      type: 'integer',
      range: { min: 0, max: 3000 },
      opcua: { nodeId: `nsu=${PUMP_NS};s=Pump1.Motor.Speed` },
    },
    { name: 'running', unit: '1', type: 'boolean', opcua: { nodeId: `nsu=${PUMP_NS};s=Pump1.Running` } },
    { name: 'mode', unit: '1', type: 'string', opcua: { nodeId: `nsu=${PUMP_NS};s=Station.Mode` } },
    {
      name: 'energy',
      description: 'active energy import',
      unit: 'kW.h',
      type: 'float',
      opcua: { nodeId: `nsu=${PUMP_NS};i=1001` },
    },
    {
      name: 'starts',
      unit: '1',
      type: 'integer',
      opcua: { nodeId: `nsu=${PUMP_NS};s=Station.Starts`, dataType: 'UInt64' },
    },
    {
      name: 'level',
      unit: 'm',
      type: 'float',
      range: { min: 0, max: 8 },
      opcua: { nodeId: `nsu=${PUMP_NS};s=Tank.Level` },
    },
  ],
};

/** expected OPC UA data type per point of pumpProfile */
export const EXPECTED_TYPES: Record<string, string> = {
  flow: 'Double',
  pressure: 'Float',
  speed: 'Int32',
  running: 'Boolean',
  mode: 'String',
  energy: 'Double',
  starts: 'UInt64',
  level: 'Double',
};

/** source timestamps lag the sampling time by this much, so a test can tell them apart */
export const SOURCE_LAG_MS = 7;

/** Fake SimPointSource (named as such): deterministic values, history, injectable status. */
export class FakePointSource implements SimPointSource {
  readonly history = new Map<string, PointSample[]>();
  readonly status = new Map<string, SampleStatus>();
  private readonly servedCount = new Map<string, number>();
  constructor(
    readonly id: string,
    readonly profile: Profile,
    private readonly offset: number,
  ) {}

  valueAt(point: string, now: number): Value {
    const k = Math.floor(now / 100) % 1000; // changes every 100 ms
    switch (point) {
      case 'flow':
        return 100 + this.offset + k / 8;
      case 'pressure':
        return 2 + (k % 10) / 4; // exact in float32
      case 'speed':
        return 1000 + this.offset + k;
      case 'running':
        return k % 2 === 0;
      case 'mode':
        return k % 2 === 0 ? 'auto' : 'manual';
      case 'energy':
        return 5000 + this.offset + k / 2;
      case 'starts':
        return 2 ** 33 + k; // beyond 32 bits
      case 'level':
        return 3.5;
      default:
        return null;
    }
  }

  sample(point: string, now: number): PointSample | undefined {
    if (!this.profile.points.some((p) => p.name === point)) return undefined;
    const status = this.status.get(point) ?? 'good';
    const s: PointSample = {
      value: status === 'bad' ? null : this.valueAt(point, now), // a failed sensor has no value
      status,
      sourceTs: now - SOURCE_LAG_MS,
    };
    this.servedCount.set(point, this.served(point) + 1);
    const h = this.history.get(point) ?? [];
    this.history.set(point, h);
    h.push(s);
    if (h.length > 500) h.splice(0, h.length - 500);
    return s;
  }

  /** how many samples of `point` were served */
  served(point: string): number {
    return this.servedCount.get(point) ?? 0;
  }

  /** the sample served with this source timestamp, if any */
  sampleAt(point: string, sourceTs: number): PointSample | undefined {
    return this.history.get(point)?.find((s) => s.sourceTs === sourceTs);
  }
}
