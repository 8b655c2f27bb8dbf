/**
 * Codecs of the Chinese national-standard field protocols, shared by simulators and agent:
 * `dlt645` (DL/T 645-2007/1997 electricity meters), `cjt188` (CJ/T 188 water, heat and gas
 * meters), `hj212` (HJ 212-2017 environmental data loggers). Each exposes frame
 * encode/decode, message helpers and a streaming deframer that counts refused frames.
 */
export * as bcd from './bcd.js';
export * as cjt188 from './cjt188/index.js';
export type { Deframed, Deframer, DeframerStats } from './deframe.js';
export * as dlt645 from './dlt645/index.js';
export * as hj212 from './hj212/index.js';
