/**
 * An in-memory HubSource fed with decoded contract messages. Memory is bounded: one ring
 * of `ringSize` recent values per point, at most `maxSeries` rings (see ring-store.ts for
 * which are reused when a new point comes), at most `maxPointsPerDevice` point names per device
 * and `maxPointsPerGateway` per gateway from data. Completeness
 * comes from a CompletenessTracker: its own (fed by onBatch) or the ingest's (pass
 * `tracker`, and the owner feeds it). With `series`, chart queries go to the store and no
 * rings are kept.
 */
import type {
  DataBatch,
  DeviceMeta,
  DeviceStatus,
  GatewayState,
  TopicIds,
} from '@ganzhi/device-profiles/contract';
import { CompletenessTracker } from '../completeness/tracker.js';
import { builtinProfiles, controlOf, displayOf, type ProfileLookup } from './point-display.js';
import { RateCounter } from './rate.js';
import { bucketMean } from './ring.js';
import { RingStore } from './ring-store.js';
import type {
  HubCompleteness,
  HubDevice,
  HubGateway,
  HubHourCompleteness,
  HubSource,
  Sample,
  SeriesRequest,
} from './source.js';

export interface MemoryHubSourceOptions {
  /** clock, ms (default Date.now) */
  now?: () => number;
  /** values kept per point for the chart (default 300; 4.8 kB per point) */
  ringSize?: number;
  /** points with a ring, at most (default 5000, so at most ~24 MB of rings) */
  maxSeries?: number;
  /** point names remembered per device from data (meta points always kept; default 1000) */
  maxPointsPerDevice?: number;
  /**
   * point names remembered from data per gateway, all its devices together (default 100 000):
   * a gateway inventing point names cannot grow the device list without bound
   */
  maxPointsPerGateway?: number;
  /** window of the points/s figure, whole seconds (default 10) */
  rateWindowSec?: number;
  /** an existing tracker the caller feeds; onBatch then does not observe into it */
  tracker?: CompletenessTracker;
  /** the embedded store's query; when given, no rings are kept */
  series?: (q: SeriesRequest) => Promise<Sample[]> | Sample[];
  /** profiles by id, for units and decimals (default: the builtin library) */
  profiles?: ProfileLookup;
}

export interface MemoryHubSource extends HubSource {
  onState(ids: { district: string; gateway: string }, state: GatewayState): void;
  onMeta(ids: TopicIds, meta: DeviceMeta): void;
  onStatus(ids: TopicIds, status: DeviceStatus): void;
  onBatch(ids: TopicIds, batch: DataBatch): void;
}

const gwKey = (d: string, g: string) => `${d}/${g}`;
const devKey = (ids: TopicIds) => `${ids.district}/${ids.gateway}/${ids.device}`;

function chartValue(r: DataBatch['readings'][number]): number | null {
  if (r.quality === 'bad') return null;
  if (typeof r.value === 'number') return r.value;
  if (typeof r.value === 'boolean') return r.value ? 1 : 0;
  return null;
}

export function createMemoryHubSource(opts: MemoryHubSourceOptions = {}): MemoryHubSource {
  const now = opts.now ?? Date.now;
  const ringSize = opts.ringSize ?? 300;
  const maxSeries = opts.maxSeries ?? 5000;
  const maxPoints = opts.maxPointsPerDevice ?? 1000;
  const maxGatewayPoints = opts.maxPointsPerGateway ?? 100_000;
  /** points listed per gateway key (meta and data) */
  const gatewayPoints = new Map<string, number>();
  const addGatewayPoints = (ids: TopicIds, n: number): void => {
    const k = gwKey(ids.district, ids.gateway);
    gatewayPoints.set(k, (gatewayPoints.get(k) ?? 0) + n);
  };
  const ownTracker = opts.tracker === undefined;
  const tracker = opts.tracker ?? new CompletenessTracker();
  const rateWindow = opts.rateWindowSec ?? 10;
  const profiles = opts.profiles ?? builtinProfiles;
  const gateways = new Map<string, HubGateway>();
  const devices = new Map<string, HubDevice>();
  const rings = new RingStore(ringSize, maxSeries);
  const rates = new Map<string, RateCounter>();
  /** point names per device key, so a batch does not rebuild the set */
  const pointNames = new Map<string, Set<string>>();

  function gateway(district: string, gw: string): HubGateway {
    const k = gwKey(district, gw);
    let g = gateways.get(k);
    if (!g) {
      g = {
        district,
        gateway: gw,
        state: 'unknown',
        since: null,
        stream: null,
        agent: null,
        version: null,
        lastSeen: null,
      };
      gateways.set(k, g);
    }
    g.lastSeen = now();
    return g;
  }

  function device(ids: TopicIds): HubDevice {
    gateway(ids.district, ids.gateway);
    const k = devKey(ids);
    let d = devices.get(k);
    if (!d) {
      d = {
        district: ids.district,
        gateway: ids.gateway,
        device: ids.device,
        model: null,
        measurement: null,
        state: 'unknown',
        since: null,
        lastError: null,
        points: [],
        lastSeen: null,
      };
      devices.set(k, d);
    }
    return d;
  }

  const ringKey = (m: string, ids: TopicIds) => `${m}\u0000${devKey(ids)}`;

  return {
    now,

    onState(ids, s) {
      const g = gateway(ids.district, ids.gateway);
      if (s.state === 'online') {
        g.since = s.ts;
        g.stream = s.stream ?? g.stream;
        g.agent = s.agent ?? g.agent;
        g.version = s.version ?? g.version;
        for (const dev of s.devices ?? [])
          device({ district: ids.district, gateway: ids.gateway, device: dev });
      } else if (g.state !== 'offline') {
        // a will's ts is when the agent connected, not when it went away
        g.since = now();
      }
      g.state = s.state;
    },

    onMeta(ids, m) {
      const d = device(ids);
      d.model = m.profile;
      d.measurement = m.measurement;
      const profile = profiles(m.profile);
      const fromMeta = m.points.map((p) => ({
        name: p.name,
        type: p.type,
        unit: p.unit,
        ...displayOf(p, profile),
        ...controlOf(p, profile),
      }));
      const known = new Set(fromMeta.map((p) => p.name));
      const before = d.points.length;
      d.points = [...fromMeta, ...d.points.filter((p) => !known.has(p.name))];
      addGatewayPoints(ids, d.points.length - before);
      pointNames.set(devKey(ids), new Set(d.points.map((p) => p.name)));
    },

    onStatus(ids, s) {
      const d = device(ids);
      d.state = s.state;
      d.since = s.since;
      d.lastError = s.lastError ?? null;
    },

    onBatch(ids, b) {
      const t = now();
      const d = device(ids);
      d.lastSeen = t;
      d.model ??= b.model;
      d.measurement ??= b.measurement;
      if (ownTracker) tracker.observe(ids.district, ids.gateway, b.stream, b.seq, t);
      let rate = rates.get(ids.district);
      if (!rate) {
        rate = new RateCounter(rateWindow);
        rates.set(ids.district, rate);
      }
      rate.add(b.readings.length, t);
      const rk = ringKey(b.measurement, ids);
      const devRings = opts.series ? undefined : rings.touch(rk);
      let names = pointNames.get(devKey(ids));
      if (!names) {
        names = new Set(d.points.map((p) => p.name));
        pointNames.set(devKey(ids), names);
      }
      const gk = gwKey(ids.district, ids.gateway);
      for (const r of b.readings) {
        if (
          !names.has(r.point) &&
          d.points.length < maxPoints &&
          (gatewayPoints.get(gk) ?? 0) < maxGatewayPoints
        ) {
          const type = typeof r.value === 'number' ? 'float' : typeof r.value === 'boolean' ? 'boolean' : '';
          d.points.push({
            name: r.point,
            type: '',
            unit: r.unit ?? '',
            access: '',
            range: null,
            ...displayOf(
              { name: r.point, type, unit: r.unit ?? '' },
              d.model ? profiles(d.model) : undefined,
            ),
          });
          names.add(r.point);
          addGatewayPoints(ids, 1);
        }
        if (devRings) rings.ring(rk, devRings, r.point, t).push(r.ts, chartValue(r));
      }
    },

    gateways() {
      return [...gateways.values()].map((g) => ({ ...g }));
    },

    devices(filter = {}) {
      const out: HubDevice[] = [];
      for (const d of devices.values()) {
        if (filter.district !== undefined && d.district !== filter.district) continue;
        if (filter.gateway !== undefined && d.gateway !== filter.gateway) continue;
        out.push({ ...d, points: d.points.map((p) => ({ ...p })) });
      }
      return out;
    },

    completeness({ from }): HubCompleteness[] {
      return tracker.figures({ since: from }).map((g) => ({
        district: g.district,
        gateway: g.gateway,
        received: g.received,
        expected: g.received + g.gapsOpened,
        gaps: g.gapsOpened,
        duplicates: g.duplicates,
        late: g.late,
      }));
    },

    completenessHourly({ from, to }): HubHourCompleteness[] {
      return tracker.hourly({ from, to }).map((h) => ({
        district: h.district,
        gateway: h.gateway,
        hour: h.hour,
        received: h.received,
        expected: h.received + h.gapsOpened,
        gaps: h.gapsOpened,
        duplicates: h.duplicates,
        late: h.late,
      }));
    },

    pointsPerSecond() {
      const t = now();
      const out: Record<string, number> = {};
      for (const [district, r] of rates) out[district] = r.rate(t);
      return out;
    },

    series(q) {
      if (opts.series) return opts.series(q);
      const ring = rings.get(ringKey(q.measurement, q), q.point, now());
      if (!ring) return [];
      const raw = ring.range(q.from, q.to);
      return q.every ? bucketMean(raw, q.every) : raw;
    },
  };
}
