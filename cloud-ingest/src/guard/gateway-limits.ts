/**
 * Per-gateway limits at the ingest (issue 13): one gateway's credential must not be able to
 * grow the store's series, the ingest's memory or the hub's device list without bound. Each
 * message a gateway sends is screened after decoding and before anything is stored or
 * remembered:
 *
 *   gateways           gateways known at once, in all (their state, figures, hub entries)
 *   devicesPerGateway  device ids one gateway may use (data, meta, status, birth lists) —
 *                      so also its retained meta and status topics the hub keeps
 *   seriesPerGateway   distinct tag sets one gateway may write (measurement × device ×
 *                      model; each is up to 3 series, one per quality)
 *   pointsPerDevice    points one meta message may list for the hub
 *
 * What is over a limit is refused to the dead letters (kind `limit`, with the limit's name
 * in the reason and the payload), counted per limit on /metrics and logged (rate-limited):
 * never dropped silently, never remembered. The sets are kept for as long as the process
 * runs (a renamed device counts until the next start); memory is bounded by
 * gateways × (devicesPerGateway + seriesPerGateway) short strings.
 *
 * The broker can cap the same things (issue 13, broker side); these hold on their own.
 */
import type { DeadLetter } from '../pipeline/dead-letter.js';
import type { RecordOutcome } from '../pipeline/decode-record.js';

export interface LimitsConfig {
  gateways: number;
  devicesPerGateway: number;
  seriesPerGateway: number;
  pointsPerDevice: number;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  gateways: 20_000,
  devicesPerGateway: 1000,
  seriesPerGateway: 2000,
  pointsPerDevice: 1000,
};

export type LimitName = keyof LimitsConfig;

export interface Refusal {
  limit: LimitName;
  reason: string;
}

interface Known {
  devices: Set<string>;
  series: Set<string>;
}

export interface Screened {
  /** the outcome to act on: unchanged, trimmed (a birth's device list) or emptied (refused) */
  out: RecordOutcome;
  refusals: Refusal[];
}

export class GatewayLimits {
  private readonly gateways = new Map<string, Known>();

  constructor(readonly limits: LimitsConfig = DEFAULT_LIMITS) {}

  /** gateways, devices and tag sets remembered (for tests and the metrics) */
  get size(): { gateways: number; devices: number; series: number } {
    let devices = 0;
    let series = 0;
    for (const g of this.gateways.values()) {
      devices += g.devices.size;
      series += g.series.size;
    }
    return { gateways: this.gateways.size, devices, series };
  }

  private gateway(district: string, gateway: string): Known | Refusal {
    const key = `${district}/${gateway}`;
    let g = this.gateways.get(key);
    if (g === undefined) {
      if (this.gateways.size >= this.limits.gateways)
        return {
          limit: 'gateways',
          reason: `limit: the ingest already knows ${this.limits.gateways} gateways (limits.gateways)`,
        };
      g = { devices: new Set(), series: new Set() };
      this.gateways.set(key, g);
    }
    return g;
  }

  private device(g: Known, district: string, gateway: string, device: string): Refusal | undefined {
    if (g.devices.has(device)) return undefined;
    if (g.devices.size >= this.limits.devicesPerGateway)
      return {
        limit: 'devicesPerGateway',
        reason: `limit: gateway ${district}/${gateway} already has ${this.limits.devicesPerGateway} devices (limits.devicesPerGateway)`,
      };
    g.devices.add(device);
    return undefined;
  }

  /**
   * Screens one decoded message. `topic` and `payload` go into the dead letter of a refused
   * message; the refused message's lines, completeness observation (unless only a device or
   * series limit refused it: the batch did arrive) and hub message are dropped.
   */
  screen(out: RecordOutcome, topic: string, payload: Uint8Array): Screened {
    const m = out.message;
    if (m === undefined || out.from === undefined) return { out, refusals: [] };
    const { district, gateway } = out.from;
    const g = this.gateway(district, gateway);
    if ('limit' in g) return refuse(out, g, topic, payload, false);
    switch (m.kind) {
      case 'state': {
        const listed = m.value.devices;
        if (listed === undefined) return { out, refusals: [] };
        const kept: string[] = [];
        let refused: Refusal | undefined;
        for (const d of listed) {
          const r = this.device(g, district, gateway, d);
          if (r === undefined) kept.push(d);
          else refused ??= r;
        }
        if (refused === undefined) return { out, refusals: [] };
        // the state itself stands (online/offline); only the devices past the limit are dropped
        const reason = `${refused.reason}: ${listed.length - kept.length} of the ${listed.length} devices in its birth message not listed`;
        return {
          out: {
            ...out,
            message: { ...m, value: { ...m.value, devices: kept } },
            deadLetters: [...out.deadLetters, { kind: 'limit', reason, topic, payload }],
          },
          refusals: [{ limit: refused.limit, reason }],
        };
      }
      case 'meta': {
        const r = this.device(g, district, gateway, m.ids.device);
        if (r) return refuse(out, r, topic, payload, true);
        if (m.value.points.length > this.limits.pointsPerDevice)
          return refuse(
            out,
            {
              limit: 'pointsPerDevice',
              reason: `limit: the meta lists ${m.value.points.length} points, more than ${this.limits.pointsPerDevice} (limits.pointsPerDevice)`,
            },
            topic,
            payload,
            true,
          );
        return { out, refusals: [] };
      }
      case 'status':
      case 'cmd':
      case 'result': {
        const r = this.device(g, district, gateway, m.ids.device);
        return r ? refuse(out, r, topic, payload, true) : { out, refusals: [] };
      }
      case 'data': {
        const r = this.device(g, district, gateway, m.ids.device);
        if (r) return refuse(out, r, topic, payload, true);
        const key = `${m.value.measurement}\u0000${m.ids.device}\u0000${m.value.model}`;
        if (!g.series.has(key)) {
          if (g.series.size >= this.limits.seriesPerGateway)
            return refuse(
              out,
              {
                limit: 'seriesPerGateway',
                reason: `limit: gateway ${district}/${gateway} already writes ${this.limits.seriesPerGateway} tag sets (limits.seriesPerGateway)`,
              },
              topic,
              payload,
              true,
            );
          g.series.add(key);
        }
        return { out, refusals: [] };
      }
      case 'config':
      case 'config-state':
        // one retained document each per gateway: nothing to bound beyond the gateway itself
        return { out, refusals: [] };
    }
  }
}

function refuse(
  out: RecordOutcome,
  r: Refusal,
  topic: string,
  payload: Uint8Array,
  arrived: boolean,
): Screened {
  const dl: DeadLetter = { kind: 'limit', reason: r.reason, topic, payload };
  return {
    out: {
      lines: [],
      points: 0,
      deadLetters: [dl],
      ...(out.from ? { from: out.from } : {}),
      ...(arrived && out.seq ? { seq: out.seq } : {}),
    },
    refusals: [r],
  };
}
