/**
 * The options Aedes is created with: our hooks, the session store, and the limits of the config
 * that Aedes enforces itself.
 */
import type { AedesOptions, AedesPublishPacket, Client } from 'aedes';
import type { Hooks } from './auth/hooks.js';
import type { BrokerConfig } from './config.js';
import type { PersistenceChoice } from './persistence/choose.js';

/**
 * `published` runs after Aedes stored a message and routed it; with a PUBACK gate it releases the
 * publisher's PUBACK (connection/ack-gate.ts).
 */
export type PublishedHook = (packet: AedesPublishPacket, client: Client | null) => void;

export function aedesOptions(
  config: BrokerConfig,
  hooks: Hooks,
  store: PersistenceChoice,
  published: PublishedHook | undefined,
): AedesOptions {
  const limits = config.limits;
  const opts: AedesOptions = {
    ...hooks,
    persistence: store.persistence as AedesOptions['persistence'],
    heartbeatInterval: config.heartbeatIntervalMs,
    maxInflightInbound: limits.maxInflightInbound,
    queueLimit: limits.maxQueuedBeforeConnack,
    keepaliveLimit: limits.keepaliveLimitSeconds,
    drainTimeout: limits.drainTimeoutMs,
    // a socket that sends no CONNECT is closed after this (Aedes' default is 30 s)
    connectTimeout: limits.connectTimeoutMs,
  };
  if (config.id) opts.id = config.id;
  if (store.mq) opts.mq = store.mq as AedesOptions['mq'];
  if (published) {
    opts.published = (packet, client, cb) => {
      published(packet, client);
      cb(null);
    };
  }
  return opts;
}
