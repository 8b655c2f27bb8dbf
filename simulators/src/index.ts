export {};
export * from './opcua/index.js';
