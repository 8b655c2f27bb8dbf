/**
 * @ganzhi/cloud-ingest — the public surface: start an ingest from a configuration, its
 * configuration API, the Sink interface and the stores that implement it, the coded errors,
 * and the hub page as a fastify plugin. Everything else is internal (the package's own tests
 * import it from src/).
 */

export type { GatewayFigures } from './completeness/tracker.js';
export type { IngestConfig, StoreConfig } from './config.js';
export { configFromEnv, describeConfig, IngestConfigSchema, loadConfigFile, parseConfig } from './config.js';
export type { IngestErrorCode } from './errors.js';
export { IngestError, isRetriable } from './errors.js';
export type {
  HubCompleteness,
  HubDevice,
  HubGateway,
  HubPluginOptions,
  HubPoint,
  HubSource,
  MemoryHubSource,
  MemoryHubSourceOptions,
  Sample,
  SeriesRequest,
} from './hub/index.js';
export { buildOverview, createMemoryHubSource, hubPlugin } from './hub/index.js';
export type { Ingest, IngestDeps } from './ingest.js';
export { startIngest } from './ingest.js';
export type {
  AggregateFn,
  RejectedLine,
  SeriesQuery,
  SeriesReader,
  SeriesResult,
  Sink,
  WriteOptions,
  WriteResult,
} from './sink.js';
export type { CreateSinkOptions } from './sinks/create-sink.js';
export { createSink } from './sinks/create-sink.js';
export type { InfluxV1Options } from './sinks/influx-v1-sink.js';
export { createInfluxV1Sink } from './sinks/influx-v1-sink.js';
export type { InfluxV2Options } from './sinks/influx-v2-sink.js';
export { createInfluxV2Sink } from './sinks/influx-v2-sink.js';
export { createNullSink } from './sinks/null-sink.js';
export type { RetryPolicy } from './sinks/retry.js';
export type { SqliteSink, SqliteSinkOptions } from './sinks/sqlite-sink.js';
export { createSqliteSink } from './sinks/sqlite-sink.js';
export { createSqliteThreadSink } from './sinks/sqlite-thread-sink.js';
export * from './sparkplug/index.js';
