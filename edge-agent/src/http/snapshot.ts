/**
 * What the local HTTP surface shows: a snapshot of acquisition and delivery, built on demand
 * (no per-poll work for it).
 */
import { pointDecimals, pointUnitSymbol } from '@ganzhi/device-profiles';
import type { DurableLog } from '@ganzhi/durable-log';
import type { Clock } from '@ganzhi/runtime';
import type { DeviceRuntime } from '../agent.js';
import type { CommandExecutor, CommandView } from '../commands/executor.js';
import type { Uplink } from '../delivery/uplink.js';

export interface PointView {
  name: string;
  /** the profile's unit, UCUM (`Cel`, `kW.h`, `[ppb]`) */
  unit: string;
  /** what a person reads (`°C`, `kWh`, `ppb`; '' for booleans, labels and dimensionless) */
  symbol: string;
  /** decimals the point's resolution deserves (absent: not a number) */
  decimals?: number;
  value: number | boolean | string | null;
  quality: string;
  reason?: string;
  ts: number;
  raw?: number[];
  /** where it is read: `input:12`, or for OPC UA the node id in the namespace the server advertises */
  address?: string;
  /** the session's form of the address (OPC UA `ns=2;s=…`), or why it cannot be read */
  resolved?: string;
}

export interface DeviceView {
  id: string;
  profile: string;
  model: string;
  endpoint: string;
  protocol: string;
  /** Modbus devices: the unit id on the line */
  unitId?: number;
  /** DL/T 645 and CJ/T 188 meters: the meter address on the bus; HJ 212 loggers: the MN */
  meterAddress?: string;
  state: string;
  since: number;
  lastError?: string;
  pollIntervalMs: number;
  counters: Record<string, number>;
  points: PointView[];
  /** the last commands to this device, newest first (absent: commands not served) */
  commands?: CommandView[];
}

export interface FleetView {
  appliedVersion: number;
  appliedHash?: string;
  desiredVersion?: number;
  status: string;
  /** what the last push handled came to: applied, unchanged, ignored-old, rejected, rolled-back… */
  lastOutcome?: string;
  reason?: string;
  problems?: { path: string; message: string }[];
}

export interface AgentSources {
  gateway: string;
  district: string;
  version: string;
  clock: Clock;
  startedAt: number;
  devices: () => readonly DeviceRuntime[];
  uplink?: Uplink;
  log?: DurableLog;
  /** the command executor (issue 15) */
  commands?: CommandExecutor;
  /** fleet config state (issue 16): applied version and the last push's outcome */
  fleet?: () => FleetView;
  /** configured log bound, for the fill gauge */
  bufferMaxBytes?: number;
  /** host names requests may carry besides loopback names and IP addresses (DNS rebinding) */
  allowedHosts?: readonly string[];
}

function addressOf(p: DeviceRuntime['spec']['points'][number]): string | undefined {
  if ('modbus' in p) return `${p.modbus.table}:${p.modbus.address}`;
  if ('opcua' in p) return p.opcua.nodeId;
  if ('serial' in p) return p.serial.select.kind;
  if ('dlt645' in p) return `DI ${p.dlt645.dataId}`;
  if ('cjt188' in p) return p.cjt188.field;
  if ('hj212' in p) return `${p.hj212.code}-${p.hj212.field ?? 'Rtd'} (${p.hj212.cn ?? '2011'})`;
  return undefined;
}

export function deviceViews(src: AgentSources): DeviceView[] {
  return src.devices().map((d) => {
    const st = d.driver.status();
    const addresses = d.driver.addresses?.();
    const points: PointView[] = d.spec.points.map((p) => {
      const r = d.last.get(p.name);
      const view: PointView = {
        name: p.name,
        unit: p.unit,
        symbol: pointUnitSymbol(p),
        value: r?.value ?? null,
        quality: r?.quality ?? 'unknown',
        ts: r?.ts ?? 0,
      };
      const decimals = pointDecimals(p);
      if (decimals !== undefined) view.decimals = decimals;
      if (r?.reason !== undefined) view.reason = r.reason;
      if (r?.raw !== undefined) view.raw = r.raw;
      const driverAddress = addresses?.get(p.name);
      const address = driverAddress?.address ?? addressOf(p);
      if (address !== undefined) view.address = address;
      if (driverAddress?.resolved !== undefined) view.resolved = driverAddress.resolved;
      return view;
    });
    const v: DeviceView = {
      id: d.spec.id,
      profile: d.spec.profile.id,
      model: `${d.spec.profile.manufacturer} ${d.spec.profile.model}`,
      endpoint: d.spec.endpoint.url,
      protocol: d.spec.protocol,
      ...(d.spec.protocol === 'modbus' ? { unitId: d.spec.unitId } : {}),
      ...(d.spec.protocol === 'dlt645' || d.spec.protocol === 'cjt188'
        ? { meterAddress: d.spec.address }
        : {}),
      ...(d.spec.protocol === 'hj212' ? { meterAddress: d.spec.mn } : {}),
      state: st.state,
      since: st.since,
      pollIntervalMs: d.spec.pollIntervalMs,
      counters: {
        ...st.counters,
        overruns: d.scheduler.stats.overruns,
        readings: d.scheduler.stats.readings,
      },
      points,
    };
    if (st.lastError !== undefined) v.lastError = st.lastError;
    if (src.commands) v.commands = [...src.commands.lastCommands(d.spec.id)];
    return v;
  });
}

export interface UplinkView {
  connected: boolean;
  reconnects: number;
  batchesAccepted: number;
  batchesAcked: number;
  backlog: number;
  bufferBytes: number;
  bufferMaxBytes?: number;
  oldestAgeMs: number;
  dropped: number;
  rejectedDiskFull: number;
}

export function uplinkView(src: AgentSources): UplinkView | undefined {
  if (!src.uplink || !src.log) return undefined;
  const s = src.log.stats();
  const c = src.uplink.counters;
  const v: UplinkView = {
    connected: c.connected,
    reconnects: c.reconnects,
    batchesAccepted: c.batchesAccepted,
    batchesAcked: c.batchesAcked,
    backlog: src.uplink.backlog(),
    bufferBytes: s.bytes,
    oldestAgeMs: s.oldestAgeMs,
    dropped: s.dropped,
    rejectedDiskFull: c.readingsRejectedDiskFull,
  };
  if (src.bufferMaxBytes !== undefined) v.bufferMaxBytes = src.bufferMaxBytes;
  return v;
}
