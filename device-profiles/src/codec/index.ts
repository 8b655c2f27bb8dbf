export { decodeRaw, type RawValue, resolveOrder } from './decode.js';
export { encodeRaw, INTEGER_RANGES, setBit } from './encode.js';
export { decodePoint, encodePoint, toEngineering, toRaw } from './engineering.js';
export { CodecError, type CodecErrorCode, isCodecError } from './errors.js';
export {
  DEFAULT_MAX_GAP,
  type DecodedItem,
  decodeResponse,
  type PlanOptions,
  planReads,
  type ReadItem,
  type ReadRequest,
  requestLimit,
  splitRequest,
  TABLE_ORDER,
} from './planner.js';
export { MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, registerCount } from './register-count.js';
export { DEFAULT_ORDER, type OrderSwitches, orderSwitches } from './words.js';
