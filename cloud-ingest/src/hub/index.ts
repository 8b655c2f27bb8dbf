export type { FeedResult } from './feed.js';
export { feedHubSource } from './feed.js';
export type { MemoryHubSource, MemoryHubSourceOptions } from './memory-source.js';
export { createMemoryHubSource } from './memory-source.js';
export { buildOverview } from './overview.js';
export { renderHubPage } from './page.js';
export type { HubPluginOptions } from './plugin.js';
export { hubPlugin } from './plugin.js';
export type {
  DeviceLiveState,
  GatewayLiveState,
  HubCompleteness,
  HubDevice,
  HubGateway,
  HubPoint,
  HubSource,
  Sample,
  SeriesRequest,
} from './source.js';
export { storeSeries } from './store-series.js';
