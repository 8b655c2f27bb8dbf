export type { SparkplugGroupConfig, SparkplugHostConfig } from './config.js';
export { SPARKPLUG_DEFAULTS, SparkplugHostConfigSchema } from './config.js';
export type { HostCounters, HostDeps } from './host.js';
export { SparkplugHost } from './host.js';
export type { RunningSparkplugHost, SparkplugHostOptions } from './host-client.js';
export { startSparkplugHost } from './host-client.js';
export { toContractId, toPointName } from './naming.js';
