/**
 * Per-gateway limits (issue 13, finding 4): one gateway's credential made 100k device ids and
 * 20k retained topics in 13 s. For each gateway — the `{district}/{gateway}` of the topic, whoever
 * publishes it — the broker accepts at most `maxDevices` distinct device ids and holds at most
 * `maxRetained` retained topics:
 *
 * - a message for a device beyond the limit is acknowledged (the gateway's buffer moves on, no
 *   reconnect loop) and dropped: not routed, not stored;
 * - a retained message on a topic beyond the limit is delivered live but not retained; an empty
 *   retained message (clearing a topic) is always allowed and frees its place.
 *
 * Each refusal is counted (`gz_broker_gateway_limit_dropped_total{limit}`) and logged (the security
 * log, rate-limited); `gz_broker_gateways_at_limit{limit}` tells how many gateways are at a limit.
 * Counted per broker process since it started, with the retained topics already in the session
 * store counted at start (memory and disk modes; in Redis mode each node counts what it sees).
 */
import { parseTopic } from '@ganzhi/device-profiles';

interface GatewayCount {
  devices: Set<string>;
  retained: Set<string>;
}

export interface GatewayLimitsOptions {
  maxDevices: number;
  maxRetained: number;
}

export class GatewayLimits {
  readonly #maxDevices: number;
  readonly #maxRetained: number;
  readonly #gateways = new Map<string, GatewayCount>();
  readonly dropped = { devices: 0, retained: 0 };

  constructor(opts: GatewayLimitsOptions) {
    this.#maxDevices = opts.maxDevices;
    this.#maxRetained = opts.maxRetained;
  }

  get maxDevices(): number {
    return this.#maxDevices;
  }

  get maxRetained(): number {
    return this.#maxRetained;
  }

  #of(district: string, gateway: string): GatewayCount {
    const key = `${district}/${gateway}`;
    let g = this.#gateways.get(key);
    if (!g) {
      g = { devices: new Set(), retained: new Set() };
      this.#gateways.set(key, g);
    }
    return g;
  }

  /** May a message on `topic` be routed? False only for a device beyond its gateway's limit. */
  deviceAllowed(topic: string): boolean {
    const t = parseTopic(topic);
    if (t?.scope !== 'device') return true;
    const g = this.#of(t.district, t.gateway);
    if (g.devices.has(t.device)) return true;
    if (g.devices.size >= this.#maxDevices) {
      this.dropped.devices++;
      return false;
    }
    g.devices.add(t.device);
    return true;
  }

  /** May a retained message on `topic` be retained? `clears`: an empty payload (always allowed). */
  retainAllowed(topic: string, clears: boolean): boolean {
    const t = parseTopic(topic);
    if (!t) return true;
    const g = this.#of(t.district, t.gateway);
    if (clears) {
      g.retained.delete(topic);
      return true;
    }
    if (g.retained.has(topic)) return true;
    if (g.retained.size >= this.#maxRetained) {
      this.dropped.retained++;
      return false;
    }
    g.retained.add(topic);
    return true;
  }

  /** Counts retained topics already held (from the session store, at start). */
  held(topic: string): void {
    const t = parseTopic(topic);
    if (t) this.#of(t.district, t.gateway).retained.add(topic);
  }

  /** Gateways at each limit now (for /metrics). */
  atLimit(): { devices: number; retained: number } {
    let devices = 0;
    let retained = 0;
    for (const g of this.#gateways.values()) {
      if (g.devices.size >= this.#maxDevices) devices++;
      if (g.retained.size >= this.#maxRetained) retained++;
    }
    return { devices, retained };
  }
}
