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
export { decodePayload, encodePayload, propertyMap, typedValue } from './payload.js';
export * from './state.js';
export * from './topic.js';
export { SparkplugCodecError } from './wire.js';
