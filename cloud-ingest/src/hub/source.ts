/**
 * What the hub page shows, as an interface the ingest implements from what it already
 * tracks: gateway birth/will, device meta and status, completeness per gateway stream,
 * the reading rate, and recent values of one point from the embedded store.
 * `createMemoryHubSource()` (memory-source.ts) is a complete in-memory implementation
 * that can be fed the decoded contract messages.
 */

export type GatewayLiveState = 'online' | 'offline' | 'unknown';
export type DeviceLiveState = 'up' | 'degraded' | 'down' | 'unknown';

export interface HubGateway {
  district: string;
  gateway: string;
  /** from the retained state topic: birth = online, will = offline; unknown = data seen, no state yet */
  state: GatewayLiveState;
  /** ms: when the hub saw the state change (online: the birth's ts) */
  since: number | null;
  /** the gateway stream id from its birth message */
  stream: string | null;
  agent: string | null;
  version: string | null;
  /** ms: last message of any kind from this gateway */
  lastSeen: number | null;
}

export interface HubPoint {
  name: string;
  type: string;
  /** UCUM, as in the data (`Cel`, `kW.h`, `[ppb]`) */
  unit: string;
  /** `read-write`: the page offers a control (issue 15); from the hub's profile when it has it */
  access: string;
  /** the profile's range of a writable number, for the control; null when the hub has none */
  range: { min: number; max: number } | null;
  /** what a person reads (`°C`, `kWh`, `ppb`; '' for booleans, labels, dimensionless) */
  symbol: string;
  /** decimals of the point's resolution (from its profile); null: not a number */
  decimals: number | null;
}

export interface HubDevice {
  district: string;
  gateway: string;
  device: string;
  /** profile id (the `model` tag) */
  model: string | null;
  measurement: string | null;
  /** from the retained status topic; unknown until one arrives */
  state: DeviceLiveState;
  since: number | null;
  lastError: string | null;
  /** from the meta topic; points only seen in data are listed with empty type/unit */
  points: HubPoint[];
  lastSeen: number | null;
}

/** Completeness of one gateway over a window, from its stream sequence numbers. */
export interface HubCompleteness {
  district: string;
  gateway: string;
  /** distinct batches received in the window */
  received: number;
  /** received + gaps */
  expected: number;
  /** sequence numbers skipped in the window (batches the gateway numbered but the hub has not seen) */
  gaps: number;
  /** batches received again (redeliveries; harmless, storage is idempotent) */
  duplicates: number;
  /** batches that arrived out of order and filled a hole */
  late: number;
}

/** One gateway's completeness in one hour of receive time. */
export interface HubHourCompleteness extends HubCompleteness {
  /** the hour's start, ms since the epoch */
  hour: number;
}

export interface SeriesRequest {
  measurement: string;
  district: string;
  gateway: string;
  device: string;
  point: string;
  /** ms since the epoch, inclusive */
  from: number;
  /** ms since the epoch, exclusive */
  to: number;
  /** bucket width in ms: mean per bucket; raw readings when absent */
  every?: number;
}

/** One chart sample: numbers as such, booleans as 0/1, null for bad readings and text. */
export interface Sample {
  ts: number;
  value: number | null;
}

export interface HubSource {
  gateways(): HubGateway[];
  devices(filter?: { district?: string; gateway?: string }): HubDevice[];
  /** per gateway, over [from, to) (implementations may round `from` down to their bucket size) */
  completeness(window: { from: number; to: number }): HubCompleteness[];
  /** per gateway and hour of receive time over [from, to) (hours with nothing may be absent) */
  completenessHourly(window: { from: number; to: number }): HubHourCompleteness[];
  /** readings per second over the recent past, per district (districts with no data may be absent) */
  pointsPerSecond(): Record<string, number>;
  /** recent values of one point, oldest first, from the embedded store or a bounded ring */
  series(q: SeriesRequest): Promise<Sample[]> | Sample[];
  /** the source's clock (ms); the API uses it for default time windows */
  now(): number;
}
