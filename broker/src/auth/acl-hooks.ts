/**
 * Aedes' ACL hooks: `authorizePublish`, `authorizeSubscribe`, `authorizeForward`.
 *
 * Publish decisions are cached per client and topic (bounded), so the steady-state hot path is a
 * Map lookup and two increments: no allocation. A denied publish closes the connection (MQTT 3.1.1
 * has no negative PUBACK); a denied subscription gets 0x80 in the SUBACK and is never stored.
 * `authorizeForward` checks, per client and topic (cached), that the receiving identity may read
 * the topic: a message can reach a session only through a filter its identity may hold, so this
 * only ever refuses what a session stored before its rights changed, or what an older broker
 * stored (finding 1: a refused filter used to be stored) — and then removes it from the queue.
 *
 * Commands (issue 15): a device command that passes the ACL is decoded and stamped on its way in
 * (command-stamp.ts; Aedes documents rewriting `packet.payload` in authorizePublish, docs/Aedes.md
 * "Handler: authorizePublish"): the stamped payload is what is routed, stored for offline
 * sessions and acknowledged. An invalid command is acknowledged and routed nowhere (like a
 * message beyond its gateway's limit), so a bad payload from the hub does not cost it its
 * session; a retained command is refused; a retained command an older broker kept is never
 * delivered (authorizeForward).
 *
 * Fleet configs (issue 16): a desired config (`gz/v1/{d}/{g}/config`) that passes the ACL must be
 * retained; it is decoded, checked against the topic and the retained version, and stamped with
 * its issuer (config-stamp.ts) before Aedes stores and routes it. Reading the retained version is
 * asynchronous (the session store), so the last version accepted per topic is also remembered
 * here: two pushes racing to the store cannot both pass against the same retained version. An
 * invalid or stale config is acknowledged and routed nowhere (logged `config_refused`), so the
 * retained document stays as it was and no session receives anything.
 */
import { parseTopic } from '@ganzhi/device-profiles';
import type { AedesOptions, AedesPublishPacket, PublishPacket, Subscription } from 'aedes';
import type { ClientStates } from '../client-state.js';
import type { BrokerMetrics } from '../metrics.js';
import type { GatewayLimits } from '../security/gateway-limits.js';
import type { SecurityLog } from '../security/security-log.js';
import {
  commandPublishRefusal,
  configPublishRefusal,
  isCommandTopic,
  isConfigTopic,
  isDeviceCommandTopic,
  publishAllowed,
  publishDenialReason,
  subscribeAllowed,
} from './acl.js';
import { stampCommand } from './command-stamp.js';
import { retainedConfigVersion, stampConfig } from './config-stamp.js';
import type { Identity } from './identity.js';
import { isValidFilter, isValidTopicName } from './topic-filter.js';

export interface AclHookDeps {
  metrics: BrokerMetrics;
  security: SecurityLog;
  /** devices and retained topics per gateway (security/gateway-limits.ts) */
  gatewayLimits: GatewayLimits;
  /** removes a stored subscription the client's identity may no longer hold */
  forgetSubscription(client: unknown, filter: string): void;
  /** the payload retained on a topic (the session store), undefined when none */
  retainedPayload(topic: string): Promise<Buffer | undefined>;
  maxCachedTopicsPerClient?: number;
  /** config topics whose last accepted version is remembered (issue 16) */
  maxRememberedConfigs?: number;
}

export type AclHooks = Required<
  Pick<AedesOptions, 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>
>;

/** Publish decisions as cached per client and topic. */
const DENY = 0;
const ALLOW = 1;
/** allowed by the ACL, but the topic's device is beyond its gateway's limit: acknowledged, dropped */
const DROP = 2;
/** allowed by the ACL, a device command: decoded and stamped per message */
const COMMAND = 3;
/** allowed by the ACL, a desired config (issue 16): retained only, decoded and stamped per message */
const CONFIG = 4;

/**
 * Where a dropped message goes instead of its topic: a `$` topic no filter with a wildcard matches
 * ([MQTT-4.7.2-1]) and no client may subscribe to or publish (acl.ts), so routing it is a no-op.
 */
export const DROPPED_TOPIC = '$GZ/dropped';
const EMPTY = Buffer.alloc(0);

/** Preallocated: a denied publish closes the connection (MQTT 3.1.1 has no negative PUBACK). */
const PUBLISH_DENIED = Object.assign(new Error('publish not authorised by the ACL'), {
  code: 'GZ_BROKER_ACL',
});

const PROTOCOL_VIOLATION = Object.assign(new Error('MQTT protocol violation'), {
  code: 'GZ_BROKER_PROTOCOL',
});

export function createAclHooks(deps: AclHookDeps, states: ClientStates): AclHooks {
  const { metrics, security, gatewayLimits: limits } = deps;
  const maxCached = deps.maxCachedTopicsPerClient ?? 1024;
  const maxConfigs = deps.maxRememberedConfigs ?? 65_536;
  /** config topic → the last version accepted here (it may not be in the session store yet) */
  const acceptedConfig = new Map<string, number>();

  type Who = { user: string | null; clientId: string; ip: string };
  const dropConfig = (packet: PublishPacket, who: Who, topic: string, why: string, version?: number) => {
    metrics.configsRefused++;
    security.event('config_refused', {
      ...who,
      what: topic,
      ...(version !== undefined ? { version } : {}),
      why: `${why}: acknowledged, dropped`,
    });
    packet.topic = DROPPED_TOPIC;
    packet.retain = false;
    packet.payload = EMPTY;
  };

  /** A desired config the ACL allows by topic: flags, then decoded, checked and stamped. */
  const authorizeConfig = (
    identity: Identity,
    who: Who,
    packet: PublishPacket,
    cb: (err: Error | null) => void,
  ): void => {
    const topic = packet.topic;
    const empty = packet.payload.length === 0;
    const refusal = configPublishRefusal(identity, topic, packet.retain, empty);
    if (refusal !== undefined) {
      metrics.aclDeniedPublish++;
      security.event('acl_denied', { ...who, what: topic, why: refusal });
      cb(PUBLISH_DENIED);
      return;
    }
    if (empty) {
      // admin clears the desired config: the next push starts from no version
      acceptedConfig.delete(topic);
      limits.retainAllowed(topic, true);
      metrics.messagesIn[packet.qos]++;
      cb(null);
      return;
    }
    const t = parseTopic(topic);
    if (!t) {
      cb(PUBLISH_DENIED); // isConfigTopic parsed it: unreachable
      return;
    }
    deps.retainedPayload(topic).then(
      (retained) => {
        const kept = retainedConfigVersion(retained);
        const seen = acceptedConfig.get(topic);
        const retainedVersion = kept === undefined ? seen : seen === undefined ? kept : Math.max(kept, seen);
        const stamped = stampConfig(
          identity,
          { district: t.district, gateway: t.gateway, retainedVersion },
          packet.payload,
        );
        if (!stamped.ok) {
          dropConfig(packet, who, topic, stamped.why, stamped.version);
          cb(null);
          return;
        }
        if (!limits.retainAllowed(topic, false)) {
          dropConfig(
            packet,
            who,
            topic,
            `retained topics per gateway at limits.maxRetainedPerGateway (${limits.maxRetained})`,
            stamped.version,
          );
          cb(null);
          return;
        }
        if (acceptedConfig.size >= maxConfigs && !acceptedConfig.has(topic)) acceptedConfig.clear();
        acceptedConfig.set(topic, stamped.version);
        metrics.configsStamped++;
        metrics.messagesIn[packet.qos]++;
        packet.payload = stamped.payload;
        cb(null);
      },
      () => {
        dropConfig(
          packet,
          who,
          topic,
          'the retained desired config could not be read from the session store',
        );
        cb(null);
      },
    );
  };

  const authorizePublish: AclHooks['authorizePublish'] = (client, packet: PublishPacket, cb) => {
    // client is null for the will of a client that died on another broker: checked at its CONNECT
    // (where a will on a command topic is refused; one stored by an older broker is refused here).
    if (client === null) {
      cb(isCommandTopic(packet.topic) || isConfigTopic(packet.topic) ? PUBLISH_DENIED : null);
      return;
    }
    const state = states.get(client);
    const identity = state?.identity;
    if (!state || !identity) {
      metrics.aclDeniedPublish++;
      cb(PUBLISH_DENIED);
      return;
    }
    // [MQTT-2.3.1-1] a QoS 1/2 PUBLISH needs a non-zero packet identifier
    if (packet.qos > 0 && packet.messageId === 0) {
      metrics.rejectedProtocol++;
      security.event('protocol', {
        user: identity.user || null,
        clientId: client.id,
        ip: state.ip,
        what: 'PUBLISH',
        why: 'packet identifier 0',
      });
      cb(PROTOCOL_VIOLATION);
      return;
    }
    const topic = packet.topic;
    let cache = state.pub;
    if (cache === undefined) {
      cache = new Map();
      state.pub = cache;
    }
    let decision = cache.get(topic);
    if (decision === undefined) {
      // [MQTT-4.7.3-2] no U+0000 (Aedes already refuses wildcards and empty names)
      decision = isValidTopicName(topic) && publishAllowed(identity, topic) ? ALLOW : DENY;
      // a command names a device of someone else's gateway: it must not count against (nor be
      // refused by) that gateway's device limit, or commands to made-up device ids would fill it
      // and the gateway's own new devices would be dropped
      if (decision === ALLOW && isDeviceCommandTopic(topic)) decision = COMMAND;
      if (decision === ALLOW && isConfigTopic(topic)) decision = CONFIG;
      if (decision === ALLOW && !limits.deviceAllowed(topic)) decision = DROP;
      if (cache.size >= maxCached) cache.clear();
      cache.set(topic, decision);
    }
    if (decision === CONFIG) {
      authorizeConfig(
        identity,
        { user: identity.user || null, clientId: client.id, ip: state.ip },
        packet,
        cb,
      );
      return;
    }
    if (decision === COMMAND || (decision === ALLOW && packet.retain)) {
      const refusal = commandPublishRefusal(identity, topic, packet.retain, packet.payload.length === 0);
      if (refusal !== undefined) {
        metrics.aclDeniedPublish++;
        security.event('acl_denied', {
          user: identity.user || null,
          clientId: client.id,
          ip: state.ip,
          what: topic,
          why: refusal,
        });
        cb(PUBLISH_DENIED);
        return;
      }
    }
    if (decision === COMMAND && !(packet.retain && packet.payload.length === 0)) {
      const stamped = stampCommand(identity, packet.payload);
      if (!stamped.ok) {
        metrics.commandsRefused++;
        security.event('command_refused', {
          user: identity.user || null,
          clientId: client.id,
          ip: state.ip,
          what: topic,
          ...(stamped.id ? { commandId: stamped.id } : {}),
          why: `${stamped.why}: acknowledged, dropped`,
        });
        packet.topic = DROPPED_TOPIC;
        packet.retain = false;
        packet.payload = EMPTY;
        cb(null);
        return;
      }
      metrics.commandsStamped++;
      metrics.messagesIn[packet.qos]++;
      packet.payload = stamped.payload;
      cb(null);
      return;
    }
    if (decision === ALLOW || decision === COMMAND) {
      // COMMAND here: admin's empty retained message clearing a kept command (never delivered)
      metrics.messagesIn[packet.qos]++;
      if (packet.retain && !limits.retainAllowed(topic, packet.payload.length === 0)) {
        packet.retain = false;
        security.event('gateway_limit', {
          user: identity.user || null,
          clientId: client.id,
          ip: state.ip,
          what: topic,
          why: `retained topics per gateway at limits.maxRetainedPerGateway (${limits.maxRetained}): delivered, not retained`,
        });
      }
      cb(null);
      return;
    }
    if (decision === DROP) {
      metrics.gatewayLimitDrops++;
      security.event('gateway_limit', {
        user: identity.user || null,
        clientId: client.id,
        ip: state.ip,
        what: topic,
        why: `devices per gateway at limits.maxDevicesPerGateway (${limits.maxDevices}): acknowledged, dropped`,
      });
      // acknowledged as usual, routed nowhere
      packet.topic = DROPPED_TOPIC;
      packet.retain = false;
      packet.payload = EMPTY;
      cb(null);
      return;
    }
    metrics.aclDeniedPublish++;
    security.event('acl_denied', {
      user: identity.user || null,
      clientId: client.id,
      ip: state.ip,
      what: topic,
      why: publishDenialReason(identity, topic),
    });
    cb(PUBLISH_DENIED);
  };

  const authorizeSubscribe: AclHooks['authorizeSubscribe'] = (client, sub: Subscription, cb) => {
    const state = states.get(client);
    const identity = state?.identity;
    const who = { user: identity?.user || null, clientId: client.id, ip: state?.ip ?? 'unknown' };
    // [MQTT-4.7.1-2], [MQTT-4.7.1-3], [MQTT-4.7.3-2]: an invalid filter is a protocol violation
    // (Aedes lets e.g. `a+` through): close the connection.
    if (!isValidFilter(sub.topic)) {
      metrics.rejectedProtocol++;
      security.event('protocol', { ...who, what: sub.topic, why: 'invalid topic filter' });
      cb(PROTOCOL_VIOLATION);
      return;
    }
    if (identity && subscribeAllowed(identity, sub.topic)) {
      cb(null, sub);
      return;
    }
    metrics.aclDeniedSubscribe++;
    // Aedes restores a persistent session's stored subscriptions through this hook before the
    // CONNACK: one the identity may not hold (stored by an older broker, or before its rights
    // changed) is removed from the session instead of being kept for ever
    const restoring = !(client as unknown as { connackSent?: boolean }).connackSent;
    if (restoring && !client.clean) deps.forgetSubscription(client, sub.topic);
    security.event('acl_denied', {
      ...who,
      what: sub.topic,
      why: restoring
        ? 'stored subscription not allowed: removed from the session'
        : 'subscription not allowed',
    });
    // granted QoS 0x80 (failure) in the SUBACK; the connection stays up
    cb(null, null);
  };

  const authorizeForward: AclHooks['authorizeForward'] = (client, packet: AedesPublishPacket) => {
    const state = states.get(client);
    const identity = state?.identity;
    // a retained command can only be one an older broker kept, and an empty one is admin's clearing
    // it (a stamped command is never empty): neither is delivered (issue 15)
    if ((packet.retain || packet.payload.length === 0) && isCommandTopic(packet.topic)) {
      metrics.aclDeniedForward++;
      return null;
    }
    if (identity !== undefined && identity.role !== 'admin' && identity.role !== 'anonymous') {
      let cache = state?.fwd;
      if (cache === undefined && state) {
        cache = new Map();
        state.fwd = cache;
      }
      const topic = packet.topic;
      let readable = cache?.get(topic);
      if (readable === undefined) {
        readable = subscribeAllowed(identity, topic);
        if (cache) {
          if (cache.size >= maxCached) cache.clear();
          cache.set(topic, readable);
        }
      }
      if (!readable) {
        metrics.aclDeniedForward++;
        security.event('acl_denied', {
          user: identity.user,
          clientId: client.id,
          ip: state?.ip ?? 'unknown',
          what: topic,
          why: 'message queued for a topic this identity may not read: dropped',
        });
        return null;
      }
    }
    metrics.messagesOut[packet.qos]++;
    return packet;
  };

  return { authorizePublish, authorizeSubscribe, authorizeForward };
}
