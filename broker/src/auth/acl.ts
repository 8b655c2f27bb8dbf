/**
 * The access-control list, derived from identity and the wire contract (default deny):
 *
 * | role      | publish                                                              | subscribe                                                      |
 * |-----------|----------------------------------------------------------------------|----------------------------------------------------------------|
 * | gateway   | gz/v1/{d}/{g}/{state,config-state}, …/{dev}/{meta,data,status,result} | gz/v1/{d}/{g}/{cmd,config}, gz/v1/{d}/{g}/+/cmd (or narrower)  |
 * | ingest    | nothing                                                              | gz/v1/+/+/{state,config,config-state}, gz/v1/+/+/+/{meta,data,status,cmd,result} |
 * | viewer    | nothing                                                              | gz/v1/{d}/# for each of its districts (or narrower)            |
 * | operator  | gz/v1/{d}/+/+/cmd (device commands), gz/v1/{d}/+/config (desired     | gz/v1/{d}/# for each of its districts (or narrower)            |
 * |           | configs, retained only) for each of its districts                    |                                                                |
 * | admin     | anything except $SYS                                                 | anything, including $SYS/#                                     |
 * | anonymous | anything except $SYS (only with --allow-anonymous)                   | anything except $SYS                                           |
 *
 * A subscription is allowed only if the filter is covered by a granted pattern, so `gz/v1/#`
 * or `gz/v1/+/…` never leak other districts. `$SYS` is never publishable by clients.
 *
 * Commands (issue 15; contract: device-profiles/src/contract/commands.ts):
 * - A gateway never publishes `cmd`, and publishes `result` only as itself ({d}/{g} its own).
 * - An operator publishes device commands only (`gz/v1/{d}/{g}/{dev}/cmd`), not the gateway-level
 *   `gz/v1/{d}/{g}/cmd`: that topic has no payload contract yet, so the broker could not check or
 *   stamp it, and a gateway would have nothing to execute. Only admin (and anonymous) reach it.
 * - No one publishes a retained command (commandPublishRefusal): a retained command would be
 *   replayed to every future session of the gateway. Admin may publish an empty retained message
 *   there, which only clears one a broker before issue 15 kept; acl-hooks.ts never delivers a
 *   retained command. No will may name a command topic (willAllowed): a will is published later,
 *   when its owner is gone, and could not be checked or stamped then.
 * - Every device command that passes the ACL is decoded and stamped by the broker
 *   (command-stamp.ts): `issuer` = the publisher's user name, `onBehalfOf` kept only from an
 *   operator with `delegate: true`; an invalid one is dropped.
 *
 * Fleet configs (issue 16; contract: device-profiles/src/contract/fleet.ts):
 * - `gz/v1/{d}/{g}/config` is published by an operator of district {d} (and admin, anonymous);
 *   never by a gateway, a viewer or the ingest.
 * - Retained only (configPublishRefusal): the desired state must outlive the session that pushed
 *   it. An empty retained message (clearing the desired config) is admin's (and anonymous') only.
 *   No will may name a config topic (willAllowed): it could not be checked or stamped then.
 * - Every config that passes the ACL is decoded and stamped by the broker (config-stamp.ts):
 *   `issuer` = the publisher's user, `onBehalfOf` kept only from a delegate operator; invalid
 *   (schema, hash, inline secret, size, another gateway or district in the document) or stale
 *   (version not above the retained one) → acknowledged, dropped, logged `config_refused`; the
 *   retained document stays as it was.
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
    case 'operator': {
      const t = parseTopic(topic);
      if (!t || !id.districts.includes(t.district)) return false;
      return t.scope === 'device' ? t.kind === 'cmd' : t.kind === 'config';
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
        // device commands and results too: the ingest keeps the command audit (issue 15)
        ...[...DEVICE_KINDS].map((k) => `${TOPIC_PREFIX}/+/+/+/${k}`),
        ...sparkplugFilters(id),
      ];
    case 'viewer':
    case 'operator':
      return id.districts.map((d) => `${TOPIC_PREFIX}/${d}/#`);
  }
}

/** A command topic of the contract's namespace (gateway or device level), by its last level. */
export function isCommandTopic(topic: string): boolean {
  return topic.startsWith(COMMAND_SPACE) && topic.endsWith('/cmd');
}
const COMMAND_SPACE = `${TOPIC_PREFIX}/`;

/** A device command (`gz/v1/{d}/{g}/{dev}/cmd`): the broker decodes and stamps these. */
export function isDeviceCommandTopic(topic: string): boolean {
  const t = parseTopic(topic);
  return t?.scope === 'device' && t.kind === 'cmd';
}

/** A gateway's desired config (`gz/v1/{d}/{g}/config`): the broker decodes and stamps these. */
export function isConfigTopic(topic: string): boolean {
  if (!topic.startsWith(COMMAND_SPACE) || !topic.endsWith('/config')) return false;
  const t = parseTopic(topic);
  return t?.scope === 'gateway' && t.kind === 'config';
}

/**
 * A will is published when its owner is gone: allowed where its owner may publish, never a
 * command or a desired config (neither could be checked and stamped then).
 */
export function willAllowed(id: Identity, topic: string): boolean {
  return publishAllowed(id, topic) && !isCommandTopic(topic) && !isConfigTopic(topic);
}

/**
 * Why a desired-config publish the ACL allows by topic is still refused for its flags, or
 * undefined: a non-retained one would be lost with the session (a gateway connecting later
 * would never get it); clearing one (empty retained payload) is for admin (and anonymous) only.
 */
export function configPublishRefusal(
  id: Identity,
  topic: string,
  retain: boolean,
  empty: boolean,
): string | undefined {
  if (!isConfigTopic(topic)) return undefined;
  if (!retain) return 'config refused: a desired config must be published retained';
  if (empty && id.role !== 'admin' && id.role !== 'anonymous')
    return 'config refused: only admin clears a desired config';
  return undefined;
}

/**
 * Why a publish the ACL allows by topic is still refused for its flags, or undefined: a retained
 * command would replay to every future session of the gateway. Only admin and anonymous may
 * publish an empty retained message on a command topic (it clears one an older broker kept).
 */
export function commandPublishRefusal(
  id: Identity,
  topic: string,
  retain: boolean,
  empty: boolean,
): string | undefined {
  if (!retain || !isCommandTopic(topic)) return undefined;
  if (empty && (id.role === 'admin' || id.role === 'anonymous')) return undefined;
  return 'retained command refused: it would replay to every future session';
}

/** Why a publish was refused, for the security log (never the payload). */
export function publishDenialReason(id: Identity, topic: string): string {
  if (isConfigTopic(topic)) {
    switch (id.role) {
      case 'operator':
        return `config refused: district ${parseTopic(topic)?.district} is not among the operator's districts`;
      case 'gateway':
        return 'config refused: gateways never publish a desired config';
      default:
        return `config refused: the ${id.role} role may not publish a desired config`;
    }
  }
  if (!isCommandTopic(topic)) return 'publish not allowed';
  switch (id.role) {
    case 'operator': {
      const t = parseTopic(topic);
      if (t?.scope !== 'device')
        return 'command refused: operators command devices only (gz/v1/{d}/{g}/{dev}/cmd)';
      return `command refused: district ${t.district} is not among the operator's districts`;
    }
    case 'gateway':
      return 'command refused: gateways never publish commands';
    default:
      return `command refused: the ${id.role} role may not publish commands`;
  }
}
