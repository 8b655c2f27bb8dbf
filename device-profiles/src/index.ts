export * from './codec/index.js';
export * from './config/problem.js';
export * from './config/validate.js';
export * from './config/yaml-document.js';
export * from './contract/index.js';
export * from './loader/load-profile.js';
export * from './loader/profile-error.js';
export * from './model/index.js';
export * from './profile-json-schema.js';
export * from './profile-schema.js';
export * from './profiles/builtin-dir.js';
export * from './profiles/registry.js';
export * from './protocols/index.js';
export * from './reading.js';
/** Sparkplug B (spBv1.0): payload codec, topics, host STATE — as one namespace, names like Payload stay local. */
export * as sparkplug from './sparkplug/index.js';
