export * from './envelopes.js';
export * from './influx.js';
export * from './topics.js';
