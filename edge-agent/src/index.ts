/**
 * The edge agent's public surface: what another workspace, a bench or an embedding program
 * needs — run a gateway from a config, or the acquisition runtime on its own with specs and a
 * sink of its own. Everything else (drivers' internals, the uplink, the HTTP surface) is
 * reached through these or through `ganzhi-agent` (cli.ts, the composition root).
 */
export type { DeviceStatusEvent, ReadingBatch, ReadingSink } from './acquisition/sink.js';
export { JsonLinesSink, MemorySink } from './acquisition/sink.js';
export { Agent, type AgentOptions, type DeviceRuntime } from './agent.js';
export { AgentConfig, configJsonSchema } from './config/config-schema.js';
export { type LoadedConfig, type LoadOptions, loadConfigFile, parseConfig } from './config/load-config.js';
export type {
  DeviceState,
  Driver,
  DriverCounters,
  DriverReading,
  DriverStatus,
} from './drivers/driver.js';
export { type DeviceSpec, type Endpoint, PROTOCOLS, parseEndpoint } from './drivers/protocols.js';
export { DriverRegistry } from './drivers/registry.js';
export { AgentError, type AgentErrorCode } from './errors.js';
export { AGENT_VERSION, type GatewayHandle, type RunOptions, runGateway } from './run-gateway.js';
