export * from './data-ids.js';
export * from './deframer.js';
export * from './frame.js';
export * from './messages.js';
