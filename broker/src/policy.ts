/**
 * The broker's policy, assembled: who may connect and as what (the CONNECT hooks with the login
 * throttle and the client-id binding), what each identity may publish, subscribe to and receive
 * (the ACL hooks, the per-gateway limits, the subscription guard on the session store), and the
 * security log every refusal goes to.
 */
import type { Readable } from 'node:stream';
import type { Clock } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { subscribeAllowed } from './auth/acl.js';
import type { CredentialStore } from './auth/credentials.js';
import { createHooks, type Hooks } from './auth/hooks.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { SessionBinding } from './auth/session-binding.js';
import { isValidFilter } from './auth/topic-filter.js';
import type { ClientStates } from './client-state.js';
import type { BrokerConfig } from './config.js';
import type { BrokerMetrics } from './metrics.js';
import type { PersistenceChoice } from './persistence/choose.js';
import { guardSubscriptions } from './persistence/subscription-guard.js';
import { GatewayLimits } from './security/gateway-limits.js';
import { RateLimiter } from './security/rate-limit.js';
import { SecurityLog } from './security/security-log.js';

export interface Policy {
  hooks: Hooks;
  security: SecurityLog;
  throttle: LoginThrottle;
  gatewayLimits: GatewayLimits;
}

export interface PolicyDeps {
  config: BrokerConfig;
  credentials: CredentialStore | undefined;
  store: PersistenceChoice;
  states: ClientStates;
  metrics: BrokerMetrics;
  clock: Clock;
  logger: Logger;
}

/** The payload retained on one topic (a topic name is a filter matching only itself). */
async function retainedPayload(store: PersistenceChoice, topic: string): Promise<Buffer | undefined> {
  const persistence = store.persistence as { createRetainedStream(pattern: string): Readable };
  let found: Buffer | undefined;
  for await (const packet of persistence.createRetainedStream(topic) as AsyncIterable<{
    topic?: string;
    payload?: Buffer | string;
  }>) {
    if (packet.topic === topic && packet.payload !== undefined) found = Buffer.from(packet.payload);
  }
  return found;
}

export function createPolicy(deps: PolicyDeps): Policy {
  const { config, store, states, metrics, clock } = deps;
  const limits = config.limits;
  const security = new SecurityLog(deps.logger.child({ component: 'security' }), clock);
  // a refused subscription is never stored (persistence/subscription-guard.ts)
  guardSubscriptions(store.persistence as Parameters<typeof guardSubscriptions>[0], (client, filter) => {
    const identity = states.get(client as object)?.identity;
    return identity === undefined ? undefined : isValidFilter(filter) && subscribeAllowed(identity, filter);
  });
  const sessions = store.persistence as {
    removeSubscriptions(client: unknown, topics: string[]): Promise<unknown>;
  };
  const throttle = new LoginThrottle({
    clock,
    failuresBeforeBackoff: limits.loginBackoffAfterFailures,
    maxBackoffMs: limits.loginBackoffMaxMs,
    maxConcurrent: limits.maxConcurrentPasswordChecks,
    maxQueued: limits.maxQueuedPasswordChecks,
  });
  const gatewayLimits = new GatewayLimits({
    maxDevices: limits.maxDevicesPerGateway,
    maxRetained: limits.maxRetainedPerGateway,
  });
  const hooks = createHooks(
    {
      credentials: deps.credentials,
      allowAnonymous: config.allowAnonymous,
      metrics,
      security,
      gatewayLimits,
      connectLimiter: new RateLimiter({
        perSecond: limits.connectsPerSecondPerIp,
        burst: limits.connectBurstPerIp,
        clock,
      }),
      certificateIdentity: config.listeners.tls?.ca !== undefined,
      binding: new SessionBinding(config.clientIds, store.owners),
      throttle,
      maxClientIdLength: limits.maxClientIdLength,
      forgetSubscription: (client, filter) => {
        sessions.removeSubscriptions(client, [filter]).catch(() => {});
      },
      retainedPayload: (topic) => retainedPayload(store, topic),
      now: () => clock.now(),
    },
    states,
  );
  return { hooks, security, throttle, gatewayLimits };
}
