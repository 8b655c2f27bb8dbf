export type { FeedResult } from './feed.js';
export { feedHubSource } from './feed.js';
export type { MemoryHubSource, MemoryHubSourceOptions } from './memory-source.js';
export { createMemoryHubSource } from './memory-source.js';
export { buildOverview } from './overview.js';
export { renderHubPage } from './page.js';
export type { HubPluginOptions } from './plugin.js';
export { hubPlugin } from './plugin.js';
export { builtinProfiles, controlOf, displayOf, type ProfileLookup } from './point-display.js';
export type {
  DeviceLiveState,
  GatewayLiveState,
  HubCompleteness,
  HubDevice,
  HubGateway,
  HubHourCompleteness,
  HubPoint,
  HubSource,
  Sample,
  SeriesRequest,
} from './source.js';
export { storeSeries } from './store-series.js';
export { buildTrend } from './trend.js';
