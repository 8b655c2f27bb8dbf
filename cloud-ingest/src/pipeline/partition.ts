/**
 * Splitting the topic space between several ingest workers. Aedes has no shared
 * subscriptions, so a worker either subscribes to its own districts only, or subscribes to
 * everything and keeps the gateways whose id hashes to its index (the others are acked and
 * skipped: every worker then receives every message, so the broker's fan-out and each
 * worker's receive cost grow with the number of workers — prefer districts when they
 * balance). With a broker that has MQTT 5 shared subscriptions, `share` prefixes the
 * filters with `$share/{group}/`.
 */
import { ingestFilters, parseTopic } from '@ganzhi/device-profiles/contract';

export type PartitionConfig =
  | { by: 'none' }
  | { by: 'district'; districts: string[] }
  | { by: 'gateway-hash'; index: number; count: number };

export interface Partition {
  filters: string[];
  /** false for a message another worker handles (hash partitioning) */
  accept(topic: string): boolean;
  describe: string;
}

/** FNV-1a, 32 bit: stable across processes and versions (documented so other tools can match). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function makePartition(cfg: PartitionConfig, share?: string): Partition {
  const prefix = share ? `$share/${share}/` : '';
  switch (cfg.by) {
    case 'district':
      return {
        filters: ingestFilters(cfg.districts).map((f) => prefix + f),
        accept: () => true,
        describe: `districts ${cfg.districts.join(', ')}`,
      };
    case 'gateway-hash': {
      const cache = new Map<string, boolean>();
      return {
        filters: ingestFilters().map((f) => prefix + f),
        accept(topic) {
          const p = parseTopic(topic);
          if (!p) return true; // not ours to judge: the writer dead-letters it
          let ok = cache.get(p.gateway);
          if (ok === undefined) {
            ok = fnv1a(p.gateway) % cfg.count === cfg.index;
            if (cache.size > 100_000) cache.clear();
            cache.set(p.gateway, ok);
          }
          return ok;
        },
        describe: `gateway hash ${cfg.index} of ${cfg.count}`,
      };
    }
    default:
      return { filters: ingestFilters().map((f) => prefix + f), accept: () => true, describe: 'all topics' };
  }
}
