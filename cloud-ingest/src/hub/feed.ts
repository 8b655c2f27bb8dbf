/**
 * Feeds one MQTT message (topic + payload as received) into a MemoryHubSource through the
 * contract's own topic parser and decoders, so the hub sees exactly what the ingest
 * accepts. Returns why a message was not used (bad topic, invalid envelope, spoofed ids).
 */
import {
  batchMatchesTopic,
  decodeDataBatch,
  decodeDeviceMeta,
  decodeDeviceStatus,
  decodeGatewayState,
  parseTopic,
} from '@ganzhi/device-profiles/contract';
import type { MemoryHubSource } from './memory-source.js';

export type FeedResult = { ok: true } | { ok: false; error: string };

export function feedHubSource(
  source: MemoryHubSource,
  topic: string,
  payload: Uint8Array | string,
  now?: number,
): FeedResult {
  const t = parseTopic(topic);
  if (!t) return { ok: false, error: 'not a contract v1 topic' };
  if (t.scope === 'gateway') {
    if (t.kind !== 'state') return { ok: false, error: `not for the hub: ${t.kind}` };
    const s = decodeGatewayState(payload);
    if (!s.ok) return s;
    source.onState(t, s.value);
    return { ok: true };
  }
  switch (t.kind) {
    case 'meta': {
      const m = decodeDeviceMeta(payload);
      if (!m.ok) return m;
      source.onMeta(t, m.value);
      return { ok: true };
    }
    case 'status': {
      const s = decodeDeviceStatus(payload);
      if (!s.ok) return s;
      source.onStatus(t, s.value);
      return { ok: true };
    }
    case 'data': {
      const b = decodeDataBatch(payload, now === undefined ? {} : { now });
      if (!b.ok) return b;
      if (!batchMatchesTopic(b.value, t))
        return { ok: false, error: 'batch ids differ from its topic (spoof)' };
      source.onBatch(t, b.value);
      return { ok: true };
    }
    default:
      return { ok: false, error: `not for the hub: ${t.kind}` };
  }
}
