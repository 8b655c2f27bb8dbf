/**
 * Wire contract v1 — the topic grammar.
 *
 *   gz/v1/{district}/{gateway}/state            retained  gateway birth / will (offline)
 *   gz/v1/{district}/{gateway}/cmd              QoS 1     commands to the gateway
 *   gz/v1/{district}/{gateway}/config           retained  desired config (hub → gateway, fleet.ts)
 *   gz/v1/{district}/{gateway}/config-state     retained  the gateway's applied config and last outcome
 *   gz/v1/{district}/{gateway}/{device}/meta    retained  device profile id, version, points
 *   gz/v1/{district}/{gateway}/{device}/data    QoS 1     batch of readings with the stream sequence number
 *   gz/v1/{district}/{gateway}/{device}/status  retained  connection state, last error, counters
 *   gz/v1/{district}/{gateway}/{device}/cmd     QoS 1     commands to one device (point writes, commands.ts)
 *   gz/v1/{district}/{gateway}/{device}/result  QoS 1     the gateway's answer to a device command
 *
 * Ids (district, gateway, device) match ID_PATTERN (constants.ts), lower case, so they can
 * never contain MQTT wildcards or separators, and a device may not be called `state` or
 * `cmd` (nor `config`, `config-state`). The broker's ACL, the agent and the ingest build and parse topics only here.
 */

import { ID_PATTERN } from './constants.js';

export const TOPIC_ROOT = 'gz';
export const CONTRACT_VERSION = 'v1';
export const TOPIC_PREFIX = `${TOPIC_ROOT}/${CONTRACT_VERSION}`;

export const RESERVED_DEVICE_IDS: ReadonlySet<string> = new Set(['state', 'cmd', 'config', 'config-state']);

export type GatewayTopicKind = 'state' | 'cmd' | 'config' | 'config-state';
export type DeviceTopicKind = 'meta' | 'data' | 'status' | 'cmd' | 'result';
export const GATEWAY_KINDS: ReadonlySet<string> = new Set<GatewayTopicKind>([
  'state',
  'cmd',
  'config',
  'config-state',
]);
export const DEVICE_KINDS: ReadonlySet<string> = new Set<DeviceTopicKind>([
  'meta',
  'data',
  'status',
  'cmd',
  'result',
]);

export type ParsedTopic =
  | { scope: 'gateway'; district: string; gateway: string; kind: GatewayTopicKind }
  | { scope: 'device'; district: string; gateway: string; device: string; kind: DeviceTopicKind };

export class TopicError extends Error {
  readonly code = 'GZ_TOPIC_INVALID';
}

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

function checkId(what: string, id: string): void {
  if (!ID_PATTERN.test(id)) {
    throw new TopicError(`${what} id ${JSON.stringify(id)} must match ${ID_PATTERN.source}`);
  }
}

export function gatewayTopic(district: string, gateway: string, kind: GatewayTopicKind): string {
  checkId('district', district);
  checkId('gateway', gateway);
  return `${TOPIC_PREFIX}/${district}/${gateway}/${kind}`;
}

export function deviceTopic(
  district: string,
  gateway: string,
  device: string,
  kind: DeviceTopicKind,
): string {
  checkId('district', district);
  checkId('gateway', gateway);
  checkId('device', device);
  if (RESERVED_DEVICE_IDS.has(device))
    throw new TopicError(`device id ${JSON.stringify(device)} is reserved`);
  return `${TOPIC_PREFIX}/${district}/${gateway}/${device}/${kind}`;
}

/** Parses a concrete topic of the contract; returns undefined for anything else. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== TOPIC_ROOT || parts[1] !== CONTRACT_VERSION) return undefined;
  const [, , district, gateway, a, b] = parts;
  if (district === undefined || gateway === undefined || a === undefined) return undefined;
  if (!ID_PATTERN.test(district) || !ID_PATTERN.test(gateway)) return undefined;
  if (parts.length === 5) {
    return GATEWAY_KINDS.has(a)
      ? { scope: 'gateway', district, gateway, kind: a as GatewayTopicKind }
      : undefined;
  }
  if (parts.length === 6 && b !== undefined) {
    if (!ID_PATTERN.test(a) || RESERVED_DEVICE_IDS.has(a) || !DEVICE_KINDS.has(b)) return undefined;
    return { scope: 'device', district, gateway, device: a, kind: b as DeviceTopicKind };
  }
  return undefined;
}

/**
 * MQTT topic filter matching (MQTT 3.1.1 §4.7): `+` one level, `#` the rest (including
 * the parent level), and filters starting with a wildcard never match `$` topics.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Filters an ingest subscribes to, optionally limited to some districts (device commands and results: the audit). */
export function ingestFilters(districts?: readonly string[]): string[] {
  const scopes = districts && districts.length > 0 ? districts : ['+'];
  return scopes.flatMap((d) => [
    `${TOPIC_PREFIX}/${d}/+/state`,
    // the fleet audit (issue 16): desired configs as the broker stamped them, and outcomes
    `${TOPIC_PREFIX}/${d}/+/config`,
    `${TOPIC_PREFIX}/${d}/+/config-state`,
    `${TOPIC_PREFIX}/${d}/+/+/meta`,
    `${TOPIC_PREFIX}/${d}/+/+/data`,
    `${TOPIC_PREFIX}/${d}/+/+/status`,
    `${TOPIC_PREFIX}/${d}/+/+/cmd`,
    `${TOPIC_PREFIX}/${d}/+/+/result`,
  ]);
}
