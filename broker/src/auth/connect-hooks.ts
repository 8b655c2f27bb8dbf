/**
 * Aedes' CONNECT hooks: `preConnect` (before Aedes looks at the CONNECT) and `authenticate`, each a
 * list of small named steps, the way Aedes' own lib/handlers/ are written. A refusal is one
 * security log line (security/security-log.ts) and a counter; never a secret.
 *
 * authenticate: persistentNeedsId → idNotTooLong → identify (certificate, password or anonymous)
 *               → willAllowed → bindClientId (client-id rules and session owner) → accept
 */
import type { TLSSocket } from 'node:tls';
import type { AedesOptions, Client, ConnectPacket } from 'aedes';
import { type ClientStates, type LoginMethod, newClientState } from '../client-state.js';
import type { BrokerMetrics } from '../metrics.js';
import type { RateLimiter } from '../security/rate-limit.js';
import type { SecurityLog } from '../security/security-log.js';
import { willAllowed } from './acl.js';
import type { CredentialStore } from './credentials.js';
import { ANONYMOUS, type Identity } from './identity.js';
import { type LoginThrottle, ThrottleFull } from './login-throttle.js';
import type { SessionBinding } from './session-binding.js';
import { isValidTopicName } from './topic-filter.js';

export interface ConnectHookDeps {
  credentials: CredentialStore | undefined;
  allowAnonymous: boolean;
  metrics: BrokerMetrics;
  security: SecurityLog;
  connectLimiter: RateLimiter | undefined;
  /** true when the TLS listener verifies client certificates (a CA is configured) */
  certificateIdentity: boolean;
  binding: SessionBinding;
  /** back-off after failed logins, and the bounded queue of password hashes */
  throttle: LoginThrottle;
  /** longest client id accepted (UTF-8 bytes) */
  maxClientIdLength: number;
  now: () => number;
}

export type ConnectHooks = Required<Pick<AedesOptions, 'preConnect' | 'authenticate'>>;

enum ReturnCode {
  IdentifierRejected = 2,
  ServerUnavailable = 3,
  BadUsernameOrPassword = 4,
  NotAuthorized = 5,
}

function refusal(returnCode: ReturnCode, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

export function remoteAddressOf(client: Client): string {
  const conn = client.conn as { remoteAddress?: string };
  return conn.remoteAddress ?? client.req?.socket?.remoteAddress ?? 'unknown';
}

type Done = (err: (Error & { returnCode: number }) | null, ok: boolean) => void;

export function createConnectHooks(deps: ConnectHookDeps, states: ClientStates): ConnectHooks {
  const { metrics, security } = deps;

  const preConnect: ConnectHooks['preConnect'] = (client, packet: ConnectPacket, cb) => {
    // the listener recorded the peer address (for WebSocket, the HTTP request's socket)
    const ip = states.get(client)?.ip ?? remoteAddressOf(client);
    const listener = states.get(client)?.listener ?? 'direct';
    if (deps.connectLimiter && !deps.connectLimiter.take(ip)) {
      metrics.rejectedRate++;
      security.event('rate_limited', {
        ip,
        listener,
        what: 'CONNECT',
        why: 'connect rate limit per address',
      });
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
      security.event('protocol', { ip, listener, what: 'CONNECT', why: 'malformed CONNECT' });
      cb(Object.assign(new Error('malformed CONNECT'), { code: 'GZ_BROKER_PROTOCOL' }), false);
      return;
    }
    const state = states.get(client) ?? newClientState(ip, listener, deps.now());
    state.will = packet.will ? { topic: packet.will.topic } : undefined;
    state.emptyId = !packet.clientId;
    state.emptyIdPersistent = !packet.clientId && packet.clean === false;
    state.connectedAt = deps.now();
    states.set(client, state);
    cb(null, true);
  };

  /** Who the client is: a verified certificate, a user and password, or anonymous. */
  function identify(
    client: Client,
    ip: string,
    username: string | undefined,
    password: Buffer | undefined,
    then: (identity: Identity, via: LoginMethod) => void,
    fail: (code: ReturnCode, why: string) => void,
    backOff: (waitMs: number) => void,
    busy: () => void,
  ): void {
    const tls = client.conn as Partial<TLSSocket>;
    if (deps.certificateIdentity && tls.authorized === true && typeof tls.getPeerCertificate === 'function') {
      const cn = tls.getPeerCertificate().subject?.CN;
      const name = Array.isArray(cn) ? cn[0] : cn;
      const identity = name && deps.credentials ? deps.credentials.byCertificate(name) : undefined;
      if (identity) {
        then(identity, 'certificate');
        return;
      }
      if (username === undefined) {
        fail(ReturnCode.NotAuthorized, 'client certificate names no known user');
        return;
      }
    }
    if (username !== undefined) {
      const credentials = deps.credentials;
      if (!credentials) {
        fail(ReturnCode.BadUsernameOrPassword, 'no credentials file');
        return;
      }
      const throttle = deps.throttle;
      const waitMs = throttle.waitFor(ip, username);
      if (waitMs > 0) {
        // backing off: only a password already verified (no hash) gets in
        credentials.verify(username, password ?? '', { rememberedOnly: true }).then(
          (identity) => {
            if (identity) then(identity, 'password');
            else backOff(waitMs);
          },
          () => backOff(waitMs),
        );
        return;
      }
      credentials.verify(username, password ?? '', { schedule: throttle.schedule(ip) }).then(
        (identity) => {
          if (identity) {
            throttle.succeeded(ip, username);
            then(identity, 'password');
          } else {
            throttle.failed(ip, username);
            fail(ReturnCode.BadUsernameOrPassword, 'bad user name or password');
          }
        },
        (err: unknown) => {
          if (err instanceof ThrottleFull) busy();
          else fail(ReturnCode.BadUsernameOrPassword, 'credential check failed');
        },
      );
      return;
    }
    if (deps.allowAnonymous) then(ANONYMOUS, 'anonymous');
    else fail(ReturnCode.NotAuthorized, 'anonymous clients are not allowed');
  }

  const authenticate: ConnectHooks['authenticate'] = (client, username, password, done: Done) => {
    const state = states.get(client);
    if (!state) {
      done(refusal(ReturnCode.NotAuthorized, 'no connection state'), false);
      return;
    }
    const where = { ip: state.ip, listener: state.listener };
    const clientId = client.id ?? '';
    // [MQTT-3.1.3-8]: a zero-length client id requires CleanSession=1 (Aedes would assign one)
    if (state.emptyIdPersistent) {
      metrics.rejectedProtocol++;
      security.event('protocol', { ...where, what: 'CONNECT', why: 'empty client id with clean session 0' });
      done(refusal(ReturnCode.IdentifierRejected, 'empty client id with clean session 0'), false);
      return;
    }
    // [MQTT-3.1.3-5]: the server may refuse longer ids; Aedes 1.2 checks only MQTT 3.1's 23 bytes
    if (Buffer.byteLength(clientId) > deps.maxClientIdLength) {
      metrics.rejectedProtocol++;
      security.event('client_id_refused', {
        ...where,
        what: `client id of ${Buffer.byteLength(clientId)} bytes`,
        why: `longer than limits.maxClientIdLength (${deps.maxClientIdLength})`,
      });
      done(refusal(ReturnCode.IdentifierRejected, 'client id too long'), false);
      return;
    }
    const fail = (code: ReturnCode, why: string) => {
      metrics.authFailures++;
      // a name that is no user may be a password typed into the wrong field: fingerprint only
      const known = username !== undefined && deps.credentials?.lookup(username) !== undefined;
      security.event('auth_failure', {
        ...where,
        ...(known ? { user: username } : { claimedUser: username ?? null }),
        clientId: known ? clientId : null,
        why,
      });
      done(refusal(code, why), false);
    };
    /** Refused without a hash while this address or user backs off after failures. */
    const backOff = (waitMs: number) => {
      metrics.authBackoff++;
      const known = username !== undefined && deps.credentials?.lookup(username) !== undefined;
      security.event('auth_backoff', {
        ...where,
        ...(known ? { user: username } : { claimedUser: username ?? null }),
        why: `after repeated failed logins; next hashed attempt in ${Math.ceil(waitMs / 1000)} s`,
      });
      done(refusal(ReturnCode.ServerUnavailable, 'too many failed logins: try later'), false);
    };
    /** Refused without a hash: too many password checks waiting (from this address). */
    const busy = () => {
      metrics.authBackoff++;
      security.event('rate_limited', { ...where, what: 'password check', why: 'password check queue full' });
      done(refusal(ReturnCode.ServerUnavailable, 'too many logins waiting: try later'), false);
    };
    identify(
      client,
      state.ip,
      username,
      password,
      (identity, via) => {
        const who = { ...where, user: identity.user || null, clientId };
        // the will is checked now: it is published later without its owner present (and never
        // on a command topic: it could not be decoded and stamped then, acl.ts)
        if (state.will && !willAllowed(identity, state.will.topic)) {
          metrics.aclDeniedPublish++;
          security.event('acl_denied', { ...who, what: state.will.topic, why: 'will topic not allowed' });
          done(refusal(ReturnCode.NotAuthorized, 'will topic not authorised'), false);
          return;
        }
        deps.binding
          .bind(client as unknown as Parameters<SessionBinding['bind']>[0], identity, state.emptyId)
          .then(
            (refused) => {
              if (refused) {
                metrics.authFailures++;
                security.event(refused.event, { ...who, what: clientId, why: refused.why });
                done(refusal(ReturnCode.NotAuthorized, refused.why), false);
                return;
              }
              state.identity = identity;
              state.via = via;
              done(null, true);
            },
            () => done(refusal(ReturnCode.ServerUnavailable, 'session owner check failed'), false),
          );
      },
      fail,
      backOff,
      busy,
    );
  };

  return { preConnect, authenticate };
}
