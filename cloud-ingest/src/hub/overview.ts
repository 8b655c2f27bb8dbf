/**
 * Folds what a HubSource knows into the per-district overview the hub page shows.
 */
import type { Completeness, DeviceCounts, DistrictRow, GatewayCounts, Overview } from './schemas.js';
import type { HubCompleteness, HubSource } from './source.js';

const zeroCompleteness = (): Completeness => ({
  received: 0,
  expected: 0,
  gaps: 0,
  duplicates: 0,
  late: 0,
  ratio: null,
});

function addCompleteness(into: Completeness, c: Omit<HubCompleteness, 'district' | 'gateway'>): void {
  into.received += c.received;
  into.expected += c.expected;
  into.gaps += c.gaps;
  into.duplicates += c.duplicates;
  into.late += c.late;
  into.ratio = into.expected > 0 ? into.received / into.expected : null;
}

const zeroGateways = (): GatewayCounts => ({ online: 0, offline: 0, unknown: 0 });
const zeroDevices = (): DeviceCounts => ({ up: 0, degraded: 0, down: 0, unknown: 0 });

export function buildOverview(source: HubSource, windowMs: number): Overview {
  const to = source.now();
  const from = to - windowMs;
  const districts = new Map<string, DistrictRow>();
  const district = (name: string): DistrictRow => {
    let d = districts.get(name);
    if (!d) {
      d = {
        district: name,
        gatewayCounts: zeroGateways(),
        deviceCounts: zeroDevices(),
        completeness: zeroCompleteness(),
        pointsPerSecond: 0,
        gateways: [],
        attention: [],
      };
      districts.set(name, d);
    }
    return d;
  };
  const gwRows = new Map<string, DistrictRow['gateways'][number]>();
  const gwRow = (d: string, g: string) => {
    const k = `${d}/${g}`;
    let row = gwRows.get(k);
    if (!row) {
      row = {
        gateway: g,
        state: 'unknown',
        since: null,
        stream: null,
        agent: null,
        version: null,
        lastSeen: null,
        devices: zeroDevices(),
        completeness: zeroCompleteness(),
      };
      gwRows.set(k, row);
      district(d).gateways.push(row);
    }
    return row;
  };

  for (const g of source.gateways()) {
    const row = gwRow(g.district, g.gateway);
    Object.assign(row, {
      state: g.state,
      since: g.since,
      stream: g.stream,
      agent: g.agent,
      version: g.version,
      lastSeen: g.lastSeen,
    });
  }
  for (const dev of source.devices()) {
    gwRow(dev.district, dev.gateway).devices[dev.state]++;
    const d = district(dev.district);
    d.deviceCounts[dev.state]++;
    if (dev.state === 'down' || dev.state === 'degraded') {
      d.attention.push({
        gateway: dev.gateway,
        device: dev.device,
        model: dev.model,
        state: dev.state,
        since: dev.since,
        lastError: dev.lastError,
      });
    }
  }
  for (const c of source.completeness({ from, to })) {
    addCompleteness(gwRow(c.district, c.gateway).completeness, c);
    addCompleteness(district(c.district).completeness, c);
  }
  for (const [name, rate] of Object.entries(source.pointsPerSecond())) district(name).pointsPerSecond = rate;

  const totals = {
    gatewayCounts: zeroGateways(),
    deviceCounts: zeroDevices(),
    completeness: zeroCompleteness(),
    pointsPerSecond: 0,
  };
  const sorted = [...districts.values()].sort((a, b) => (a.district < b.district ? -1 : 1));
  for (const d of sorted) {
    d.gateways.sort((a, b) => (a.gateway < b.gateway ? -1 : 1));
    d.attention.sort(
      (a, b) =>
        (a.state === b.state ? 0 : a.state === 'down' ? -1 : 1) ||
        (a.gateway === b.gateway ? (a.device < b.device ? -1 : 1) : a.gateway < b.gateway ? -1 : 1),
    );
    for (const g of d.gateways) d.gatewayCounts[g.state]++;
    for (const k of ['online', 'offline', 'unknown'] as const) totals.gatewayCounts[k] += d.gatewayCounts[k];
    for (const k of ['up', 'degraded', 'down', 'unknown'] as const)
      totals.deviceCounts[k] += d.deviceCounts[k];
    addCompleteness(totals.completeness, d.completeness);
    totals.pointsPerSecond += d.pointsPerSecond;
  }
  return { now: to, window: { from, to }, totals, districts: sorted };
}
