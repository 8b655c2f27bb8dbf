/** The sink a store configuration names. */
import type { StoreConfig } from '../config.js';
import type { Sink } from '../sink.js';
import { createInfluxV1Sink } from './influx-v1-sink.js';
import { createInfluxV2Sink } from './influx-v2-sink.js';
import { createNullSink } from './null-sink.js';
import { createSqliteSink, type SqliteSink } from './sqlite-sink.js';
import { createSqliteThreadSink } from './sqlite-thread-sink.js';

export async function createSink(
  store: StoreConfig,
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void,
): Promise<Sink | SqliteSink> {
  switch (store.type) {
    case 'sqlite': {
      const opts = { file: store.file ?? './data/ingest.db' };
      return store.thread === false ? createSqliteSink(opts) : createSqliteThreadSink(opts);
    }
    case 'influxdb-v1':
      return createInfluxV1Sink({ ...store, onRetry });
    case 'influxdb-v2':
      return createInfluxV2Sink({ ...store, onRetry });
    default:
      return createNullSink();
  }
}
