/**
 * `@ganzhi/device-profiles/contract` — wire contract v1: its constants, the topic grammar,
 * the JSON envelopes (schemas, decoders, encoders), the InfluxDB mapping and the JSON Schema
 * emission. docs/contract-v1.md describes it for other languages.
 */

export {
  COMMAND_ID_PATTERN,
  COMMAND_LIMITS,
  COMMAND_OUTCOMES,
  CommandContractError,
  type CommandOutcome,
  CommandRequest,
  CommandResult,
  CommandWrite,
  type DecodedCommand,
  decodeCommandRequest,
  decodeCommandResult,
  encodeCommandRequest,
  encodeCommandResult,
  ISSUER_PATTERN,
  PointOutcome,
} from './commands.js';
export {
  ENVELOPE_VERSION,
  ID_PATTERN,
  LIMITS,
  LONE_SURROGATE,
  MEASUREMENT_PATTERN,
  POINT_NAME_PATTERN,
  PROFILE_ID_PATTERN,
  REASON_SUFFIX,
  STREAM_PATTERN,
} from './constants.js';
export { deviceMetaOf } from './device-meta.js';
export {
  CONTRACT_SCHEMAS,
  ContractError,
  DataBatch,
  type Decoded,
  type DecodedBatch,
  type DecodeOptions,
  DeviceMeta,
  DeviceStatus,
  decodeDataBatch,
  decodeDeviceMeta,
  decodeDeviceStatus,
  decodeGatewayState,
  encodeDataBatch,
  encodeDeviceMeta,
  encodeDeviceStatus,
  encodeGatewayState,
  GatewayState,
  QualitySchema,
  type RejectedReading,
  WireReading,
} from './envelopes.js';
export {
  batchMatchesTopic,
  escapeStringField,
  type LineProtocolResult,
  PRECISION,
  seriesPrefix,
  type TopicIds,
  toLineProtocol,
} from './influx.js';
export { CONTRACT_SCHEMA_DIR, contractJsonSchemaFiles } from './json-schema.js';
export {
  CONTRACT_VERSION,
  DEVICE_KINDS,
  type DeviceTopicKind,
  deviceTopic,
  GATEWAY_KINDS,
  type GatewayTopicKind,
  gatewayTopic,
  ingestFilters,
  isValidId,
  type ParsedTopic,
  parseTopic,
  RESERVED_DEVICE_IDS,
  TOPIC_PREFIX,
  TOPIC_ROOT,
  TopicError,
  topicMatches,
} from './topics.js';
