export { type RbeOptions, ReportByException } from './acquisition/report-by-exception.js';
export { DeviceScheduler, type SchedulerOptions, type SchedulerStats } from './acquisition/scheduler.js';
export {
  type DeviceStatusEvent,
  JsonLinesSink,
  MemorySink,
  type ReadingBatch,
  type ReadingSink,
} from './acquisition/sink.js';
export { Agent, type AgentOptions, type DeviceRuntime } from './agent.js';
export { type BackoffOptions, backoffDelay } from './backoff.js';
export { type Clock, type Random, seededRandom, systemClock } from './clock.js';
export { AgentConfig, configJsonSchema, DEFAULTS, DeviceConfig } from './config/config-schema.js';
export { type Endpoint, type EndpointScheme, lineKey, parseEndpoint } from './config/endpoint.js';
export { type LoadedConfig, loadConfigFile, parseConfig } from './config/load-config.js';
export { resolveSecrets } from './config/secrets.js';
export * from './drivers/driver.js';
export { builtinDrivers, DriverRegistry } from './drivers/registry.js';
export { AgentError, type AgentErrorCode } from './errors.js';
