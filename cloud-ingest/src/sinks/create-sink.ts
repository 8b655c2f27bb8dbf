/** The sink a store configuration names. */
import type { Clock, Random } from '@ganzhi/runtime';
import type { StoreConfig } from '../config.js';
import type { Sink } from '../sink.js';
import { createInfluxV1Sink } from './influx-v1-sink.js';
import { createInfluxV2Sink } from './influx-v2-sink.js';
import { createNullSink } from './null-sink.js';
import { createSqliteSink, type SqliteSink } from './sqlite-sink.js';
import { createSqliteThreadSink } from './sqlite-thread-sink.js';

export interface CreateSinkOptions {
  /** called before each retry inside one store write */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** what the HTTP sinks' retries wait on, and their jitter */
  clock?: Clock;
  random?: Random;
}

export async function createSink(
  store: StoreConfig,
  opts: CreateSinkOptions = {},
): Promise<Sink | SqliteSink> {
  switch (store.type) {
    case 'sqlite': {
      const opts = { file: store.file ?? './data/ingest.db' };
      return store.thread === false ? createSqliteSink(opts) : createSqliteThreadSink(opts);
    }
    case 'influxdb-v1':
      return createInfluxV1Sink({ ...store, ...opts });
    case 'influxdb-v2':
      return createInfluxV2Sink({ ...store, ...opts });
    default:
      return createNullSink();
  }
}
