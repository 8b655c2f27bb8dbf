/**
 * Feeding the hub's bookkeeping: `feedHub` takes a contract message the ingest's decoder
 * accepted; `feedHubSource` takes one MQTT message as received (topic + payload) and runs it
 * through that same decoder (pipeline/decode-record.ts), so the hub sees exactly what the
 * ingest accepts. It returns why a message was not used (bad topic, invalid envelope,
 * spoofed ids).
 */
import { type DecodedMessage, decodeMessage } from '../pipeline/decode-record.js';
import type { MemoryHubSource } from './memory-source.js';

export type FeedResult = { ok: true } | { ok: false; error: string };

/** One decoded contract message into the hub. */
export function feedHub(hub: MemoryHubSource, m: DecodedMessage): void {
  switch (m.kind) {
    case 'state':
      hub.onState(m.ids, m.value);
      break;
    case 'meta':
      hub.onMeta(m.ids, m.value);
      break;
    case 'status':
      hub.onStatus(m.ids, m.value);
      break;
    case 'data':
      hub.onBatch(m.ids, m.value);
      break;
  }
}

export function feedHubSource(
  source: MemoryHubSource,
  topic: string,
  payload: Uint8Array | string,
  now: number = source.now(),
): FeedResult {
  const out = decodeMessage(topic, Buffer.from(payload), now);
  const refused = out.deadLetters.find((d) => d.kind === 'message');
  if (refused) return { ok: false, error: refused.reason };
  if (!out.message) return { ok: false, error: 'not for the hub' };
  feedHub(source, out.message);
  return { ok: true };
}
