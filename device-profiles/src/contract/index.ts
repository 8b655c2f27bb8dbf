export {
  ENVELOPE_VERSION,
  ID_PATTERN,
  LIMITS,
  LONE_SURROGATE,
  MEASUREMENT_PATTERN,
  POINT_NAME_PATTERN,
  PROFILE_ID_PATTERN,
  REASON_SUFFIX,
  STREAM_PATTERN,
} from './constants.js';
export * from './device-meta.js';
export * from './envelopes.js';
export * from './influx.js';
export * from './json-schema.js';
export * from './topics.js';
