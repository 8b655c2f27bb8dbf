export * from './contract/index.js';
export * from './profile-schema.js';
export * from './reading.js';
