export * from './datatypes.js';
export type {
  Metric,
  MetricIn,
  Payload,
  PayloadIn,
  PropertyIn,
  PropertySet,
  PropertyValue,
  RawValue,
} from './payload.js';
export { decodePayload, propertyMap, typedValue } from './payload.js';
export { encodePayload } from './payload-encode.js';
export * from './state.js';
export * from './topic.js';
export { SparkplugCodecError } from './wire.js';
