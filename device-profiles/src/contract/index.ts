export * from './device-meta.js';
export * from './envelopes.js';
export * from './influx.js';
export * from './json-schema.js';
export * from './topics.js';
