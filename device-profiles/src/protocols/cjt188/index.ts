export * from './deframer.js';
export * from './frame.js';
export * from './read-data.js';
