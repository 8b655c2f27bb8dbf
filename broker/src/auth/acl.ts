/**
 * The access-control list, derived from identity and the wire contract (default deny):
 *
 * | role      | publish                                                      | subscribe                                              |
 * |-----------|--------------------------------------------------------------|--------------------------------------------------------|
 * | gateway   | gz/v1/{d}/{g}/{state,config-state}, …/{dev}/{meta,data,status} | gz/v1/{d}/{g}/{cmd,config}, gz/v1/{d}/{g}/+/cmd      |
 * | ingest    | nothing                                                      | gz/v1/+/+/{state,config,config-state}, gz/v1/+/+/+/{meta,data,status} |
 * | viewer    | nothing                                                      | gz/v1/{d}/# for each of its districts (or narrower)     |
 * | admin     | anything except $SYS                                         | anything, including $SYS/#                              |
 * | anonymous | anything except $SYS (only with --allow-anonymous)           | anything except $SYS                                    |
 *
 * A subscription is allowed only if the filter is covered by a granted pattern, so `gz/v1/#`
 * or `gz/v1/+/…` never leak other districts. `$SYS` is never publishable by clients.
 */
import { DEVICE_KINDS, parseTopic, TOPIC_PREFIX } from '@ganzhi/device-profiles';
import type { Identity } from './identity.js';
import { SPB_PREFIX, sparkplugFilters, sparkplugPublishAllowed } from './sparkplug-acl.js';
import { covers } from './topic-filter.js';

const SYS = '$SYS';
/** The broker's own `$` topics (where dropped messages go): nobody publishes or subscribes there. */
const GZ = '$GZ';

export function publishAllowed(id: Identity, topic: string): boolean {
  if (topic.startsWith(SYS) || topic.startsWith(GZ)) return false;
  if (topic.startsWith(SPB_PREFIX)) return sparkplugPublishAllowed(id, topic); // Sparkplug B (issue 18)
  switch (id.role) {
    case 'admin':
    case 'anonymous':
      return true;
    case 'gateway': {
      const t = parseTopic(topic);
      if (!t || t.district !== id.district || t.gateway !== id.gateway) return false;
      // cmd and config come from the hub, never from the gateway itself
      return t.kind !== 'cmd' && t.kind !== 'config';
    }
    default:
      return false;
  }
}

export function subscribeAllowed(id: Identity, filter: string): boolean {
  if (filter.startsWith(GZ)) return false;
  if (filter.startsWith(SYS)) return id.role === 'admin';
  const patterns = grantedFilters(id);
  if (patterns === ALL) return true;
  for (const p of patterns) if (covers(p, filter)) return true;
  return false;
}

const ALL: readonly string[] = Object.freeze(['#']);

/** The subscription patterns a role is granted (used by subscribeAllowed; documented in the README). */
export function grantedFilters(id: Identity): readonly string[] {
  switch (id.role) {
    case 'admin':
    case 'anonymous':
      return ALL;
    case 'gateway':
      return [
        `${TOPIC_PREFIX}/${id.district}/${id.gateway}/cmd`,
        `${TOPIC_PREFIX}/${id.district}/${id.gateway}/config`,
        `${TOPIC_PREFIX}/${id.district}/${id.gateway}/+/cmd`,
        ...sparkplugFilters(id),
      ];
    case 'ingest':
      return [
        `${TOPIC_PREFIX}/+/+/state`,
        `${TOPIC_PREFIX}/+/+/config`,
        `${TOPIC_PREFIX}/+/+/config-state`,
        ...[...DEVICE_KINDS].filter((k) => k !== 'cmd').map((k) => `${TOPIC_PREFIX}/+/+/+/${k}`),
        ...sparkplugFilters(id),
      ];
    case 'viewer':
      return id.districts.map((d) => `${TOPIC_PREFIX}/${d}/#`);
  }
}
