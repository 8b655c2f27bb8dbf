export { opcuaDataTypeOf } from './data-types.js';
export { SimOpcuaError, type SimOpcuaErrorCode } from './errors.js';
export { type ParsedNodeId, parseOpcuaNodeId, simNamespaceUri, simNodeId } from './node-ids.js';
export type {
  OpcuaFaultInjection,
  OpcuaSecurityMode,
  OpcuaSecurityOptions,
  OpcuaServerHandle,
  OpcuaServerOptions,
  OpcuaUser,
} from './options.js';
export { startOpcuaServer } from './start.js';
export { commonCodeToUnitId, type EngineeringUnit, engineeringUnitFor, UNECE_UNITS_URI } from './units.js';
