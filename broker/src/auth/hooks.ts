/**
 * Aedes hooks: identity at CONNECT, ACL on PUBLISH/SUBSCRIBE, counters on the way out.
 * Publish decisions are cached per client and topic (bounded), so the steady-state hot path is
 * a Map lookup and two increments: no allocation.
 */
import type { TLSSocket } from 'node:tls';
import type {
  AedesOptions,
  AedesPublishPacket,
  Client,
  ConnectPacket,
  PublishPacket,
  Subscription,
} from 'aedes';
import type { Logger } from 'pino';
import { type ClientState, type ClientStates, newClientState } from '../client-state.js';
import type { BrokerMetrics } from '../metrics.js';
import type { RateLimiter } from '../security/rate-limit.js';
import { publishAllowed, subscribeAllowed } from './acl.js';
import type { CredentialStore } from './credentials.js';
import { ANONYMOUS, type Identity } from './identity.js';
import { isValidFilter, isValidTopicName } from './topic-filter.js';

export interface HookDeps {
  credentials: CredentialStore | undefined;
  allowAnonymous: boolean;
  metrics: BrokerMetrics;
  logger: Logger;
  connectLimiter: RateLimiter | undefined;
  /** true when the TLS listener verifies client certificates (a CA is configured) */
  certificateIdentity: boolean;
  now: () => number;
  maxCachedTopicsPerClient?: number;
}

export type Hooks = Required<
  Pick<
    AedesOptions,
    'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'
  >
>;

/** Publish decisions as cached per client and topic. */
const DENY = 0;
const ALLOW = 1;

enum ReturnCode {
  IdentifierRejected = 2,
  BadUsernameOrPassword = 4,
  NotAuthorized = 5,
}

function refusal(returnCode: ReturnCode, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

/** Preallocated: a denied publish closes the connection (MQTT 3.1.1 has no negative PUBACK). */
const PUBLISH_DENIED = Object.assign(new Error('publish not authorised by the ACL'), {
  code: 'GZ_BROKER_ACL',
});

const PROTOCOL_VIOLATION = Object.assign(new Error('MQTT protocol violation'), {
  code: 'GZ_BROKER_PROTOCOL',
});

export function remoteAddressOf(client: Client): string {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket?.remoteAddress ?? 'unknown';
}

export function createHooks(deps: HookDeps, states: ClientStates): Hooks {
  const { metrics, logger } = deps;
  const maxCached = deps.maxCachedTopicsPerClient ?? 1024;

  const preConnect: Hooks['preConnect'] = (client, packet: ConnectPacket, cb) => {
    // the listener recorded the peer address (for WebSocket, the HTTP request's socket)
    const ip = states.get(client)?.ip ?? remoteAddressOf(client);
    if (deps.connectLimiter && !deps.connectLimiter.take(ip)) {
      metrics.rejectedRate++;
      cb(Object.assign(new Error('connect rate limit exceeded'), { code: 'GZ_BROKER_RATE' }), false);
      return;
    }
    // [MQTT-3.1.2-22] password without user name; [MQTT-3.1.2-14] will QoS 3;
    // [MQTT-3.1.2-9]/[MQTT-4.7.3-2] will topic must be a valid topic name. Malformed: close, no CONNACK.
    if (
      (packet.password !== undefined && packet.username === undefined) ||
      (packet.will && ((packet.will.qos as number) > 2 || !isValidTopicName(packet.will.topic)))
    ) {
      metrics.rejectedProtocol++;
      cb(Object.assign(new Error('malformed CONNECT'), { code: 'GZ_BROKER_PROTOCOL' }), false);
      return;
    }
    const state = states.get(client) ?? newClientState(ip, 'direct', deps.now());
    state.will = packet.will ? { topic: packet.will.topic } : undefined;
    state.emptyIdPersistent = !packet.clientId && packet.clean === false;
    state.connectedAt = deps.now();
    states.set(client, state);
    cb(null, true);
  };

  const authenticate: Hooks['authenticate'] = (client, username, password, done) => {
    const state = states.get(client);
    if (!state) {
      done(refusal(ReturnCode.NotAuthorized, 'no connection state'), false);
      return;
    }
    // [MQTT-3.1.3-8]: a zero-length client id requires CleanSession=1 (Aedes would assign one).
    if (state.emptyIdPersistent) {
      metrics.rejectedProtocol++;
      done(refusal(ReturnCode.IdentifierRejected, 'empty client id with clean session 0'), false);
      return;
    }
    const accept = (identity: Identity, via: ClientState['via']) => {
      if (state.will && !publishAllowed(identity, state.will.topic)) {
        metrics.aclDeniedPublish++;
        logger.warn(
          { user: identity.user, ip: state.ip, topic: state.will.topic },
          'will topic denied by ACL',
        );
        done(refusal(ReturnCode.NotAuthorized, 'will topic not authorised'), false);
        return;
      }
      state.identity = identity;
      state.via = via;
      done(null, true);
    };
    const fail = (code: ReturnCode, why: string) => {
      metrics.authFailures++;
      logger.info({ user: username ?? null, ip: state.ip, clientId: client.id, why }, 'connection refused');
      done(refusal(code, why), false);
    };

    const tls = client.conn as Partial<TLSSocket>;
    if (deps.certificateIdentity && tls.authorized === true && typeof tls.getPeerCertificate === 'function') {
      const cn = tls.getPeerCertificate().subject?.CN;
      const name = Array.isArray(cn) ? cn[0] : cn;
      const identity = name && deps.credentials ? deps.credentials.byCertificate(name) : undefined;
      if (identity) {
        accept(identity, 'certificate');
        return;
      }
      if (username === undefined) {
        fail(ReturnCode.NotAuthorized, 'client certificate names no known user');
        return;
      }
    }
    if (username !== undefined) {
      if (!deps.credentials) {
        fail(ReturnCode.BadUsernameOrPassword, 'no credentials file');
        return;
      }
      deps.credentials.verify(username, password ?? '').then(
        (identity) => {
          if (identity) accept(identity, 'password');
          else fail(ReturnCode.BadUsernameOrPassword, 'bad username or password');
        },
        (err: unknown) => {
          logger.error({ err }, 'credential check failed');
          fail(ReturnCode.BadUsernameOrPassword, 'credential check failed');
        },
      );
      return;
    }
    if (deps.allowAnonymous) {
      accept(ANONYMOUS, 'anonymous');
      return;
    }
    fail(ReturnCode.NotAuthorized, 'anonymous clients are not allowed');
  };

  const authorizePublish: Hooks['authorizePublish'] = (client, packet: PublishPacket, cb) => {
    // client is null for the will of a client that died on another broker: checked at its CONNECT.
    if (client === null) {
      cb(null);
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
      cb(PROTOCOL_VIOLATION);
      return;
    }
    const topic = packet.topic;
    let cache = state.pub;
    if (cache === undefined) {
      cache = new Map();
      state.pub = cache;
    }
    let allowed = cache.get(topic);
    if (allowed === undefined) {
      // [MQTT-4.7.3-2] no U+0000 (Aedes already refuses wildcards and empty names)
      allowed = isValidTopicName(topic) && publishAllowed(identity, topic) ? ALLOW : DENY;
      if (cache.size >= maxCached) cache.clear();
      cache.set(topic, allowed);
    }
    if (allowed === ALLOW) {
      metrics.messagesIn[packet.qos]++;
      cb(null);
    } else {
      metrics.aclDeniedPublish++;
      cb(PUBLISH_DENIED);
    }
  };

  const authorizeSubscribe: Hooks['authorizeSubscribe'] = (client, sub: Subscription, cb) => {
    // [MQTT-4.7.1-2], [MQTT-4.7.1-3], [MQTT-4.7.3-2]: an invalid filter is a protocol violation
    // (Aedes lets e.g. `a+` through): close the connection.
    if (!isValidFilter(sub.topic)) {
      metrics.rejectedProtocol++;
      cb(PROTOCOL_VIOLATION);
      return;
    }
    const identity = states.get(client)?.identity;
    if (identity && subscribeAllowed(identity, sub.topic)) {
      cb(null, sub);
      return;
    }
    metrics.aclDeniedSubscribe++;
    // granted QoS 0x80 (failure) in the SUBACK; the connection stays up
    cb(null, null);
  };

  const authorizeForward: Hooks['authorizeForward'] = (_client, packet: AedesPublishPacket) => {
    metrics.messagesOut[packet.qos]++;
    return packet;
  };

  return { preConnect, authenticate, authorizePublish, authorizeSubscribe, authorizeForward };
}
