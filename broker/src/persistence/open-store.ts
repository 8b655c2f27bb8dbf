/** The session store of the configured mode, opened with the broker's fixes on it. */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config.js';
import type { BrokerMetrics } from '../metrics.js';
import { choosePersistence, type PersistenceChoice } from './choose.js';
import { markRedeliveries } from './redelivery-dup.js';

/** The session store of the configured mode, with the broker's own fixes applied to it. */
export function openStore(config: BrokerConfig, metrics: BrokerMetrics, logger: Logger): PersistenceChoice {
  const store = choosePersistence({
    ...(config.redis ? { redis: config.redis } : {}),
    ...(config.persistence ? { dataDir: config.persistence.dataDir, sync: config.persistence.sync } : {}),
    maxQueuedPerClient: config.limits.maxQueuedPerClient,
    onDrop: () => {
      metrics.queueDrops++;
    },
    onBackendError: (err) => {
      // ioredis retries for ever; one line per failed attempt at most every 2 s
      logger.warn({ err: err.message }, 'redis unreachable; publishes wait for it (no PUBACK meanwhile)');
    },
  });
  markRedeliveries(store.persistence);
  if (store.mode === 'memory') {
    logger.warn(
      { persistence: 'memory' },
      'sessions are kept in memory only: a crash or restart loses persistent sessions and their queued messages (give a data dir for disk mode)',
    );
  } else {
    logger.info({ persistence: store.mode, where: store.where }, 'sessions persisted');
  }
  return store;
}
