export * from './crc.js';
export * from './data.js';
export * from './deframer.js';
export * from './packet.js';
export * from './segment.js';
