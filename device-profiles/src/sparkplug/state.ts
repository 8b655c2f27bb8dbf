/**
 * The Sparkplug Host Application STATE message (Sparkplug 3.0 §4.2.3): JSON UTF-8, not
 * protobuf, on `spBv1.0/STATE/{host_id}`, QoS 1, retained.
 *
 *   birth  {"online":true,"timestamp":<ms UTC>}   (tck-id-host-topic-phid-birth-payload)
 *   death  {"online":false,"timestamp":<ms UTC>}  (tck-id-host-topic-phid-death-payload), the
 *          CONNECT's Will, with the timestamp of that CONNECT; the birth that follows repeats it
 *          (tck-id-host-topic-phid-birth-payload-timestamp)
 */

export interface HostState {
  online: boolean;
  timestamp: number;
}

export function encodeHostState(s: HostState): Buffer {
  return Buffer.from(JSON.stringify({ online: s.online, timestamp: s.timestamp }));
}

/** Decodes a STATE payload; an error text names what is wrong. */
export function decodeHostState(
  payload: Uint8Array,
): { ok: true; value: HostState } | { ok: false; error: string } {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return { ok: false, error: 'STATE payload is not UTF-8 JSON' };
  }
  if (typeof v !== 'object' || v === null) return { ok: false, error: 'STATE payload is not a JSON object' };
  const o = v as { online?: unknown; timestamp?: unknown };
  if (typeof o.online !== 'boolean') return { ok: false, error: 'STATE payload: "online" is not a boolean' };
  if (typeof o.timestamp !== 'number' || !Number.isSafeInteger(o.timestamp) || o.timestamp < 0)
    return { ok: false, error: 'STATE payload: "timestamp" is not ms since the epoch' };
  return { ok: true, value: { online: o.online, timestamp: o.timestamp } };
}
