export type { DurableLogErrorCode } from './errors.js';
export { DurableLogError, isDiskFull } from './errors.js';
export type { LogFs } from './fs-facade.js';
export { nodeFs } from './fs-facade.js';
export { createMemoryLog } from './memory-log.js';
export { MAX_RECORD_BYTES, RECORD_HEADER_BYTES } from './record-format.js';
export type { RecoveryReport, SegmentLog, SegmentLogOptions } from './segment-log.js';
export { DEFAULT_SEGMENT_BYTES, openSegmentLog } from './segment-log.js';
export type {
  BoundsOptions,
  DurableLog,
  FsyncPolicy,
  LogRecord,
  LogStats,
  ReadLimits,
} from './types.js';
