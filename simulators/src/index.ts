// Public API of @ganzhi/simulators (re-exports only).
// The clock lives in @ganzhi/runtime; re-exported because tests of other workspaces build
// SimDevices with it.
export { type Clock, ManualClock, systemClock } from '@ganzhi/runtime';
export { buildControlApp, type ControlTarget, ERRORS as CONTROL_ERRORS } from './control/app.js';
export { clampToRegister, encodeModbusValue } from './device/codec.js';
export { defaultSignal, isTotal } from './device/defaults.js';
export { invalidValue, planModbusWrite, type WritePlan } from './device/modbus-write.js';
export { coerce, quantise, serialText } from './device/quantise.js';
export {
  type DeviceOptions,
  mergeRelations,
  type PointTruth,
  type ServedSample,
  SimDevice,
} from './device/sim-device.js';
export type {
  NodeWrite,
  NodeWriteResult,
  PointSample,
  SampleStatus,
  SimPointSource,
} from './device/source.js';
export { WriteLog, type WriteRecord, type WrittenPoint } from './device/write-log.js';
export { type SimError, type SimErrorCode, simError } from './errors.js';
export { type ActiveFault, FaultState, type FrameAction, type FrameDecision } from './faults/fault-state.js';
export { FAULT_KINDS, type FaultKind, FaultSpec } from './faults/spec.js';
export { type Answer, answer, type ModbusDevice, type UnitTable } from './modbus/answer.js';
export { crc16, crcOk, withCrc } from './modbus/crc16.js';
export { EXCEPTION, FC, handlePdu, LIMITS, type ModbusUnit, type WriteContext } from './modbus/pdu.js';
export { RtuDeframer } from './modbus/rtu-deframer.js';
export {
  type RtuSerialOptions,
  type SerialEndpoint,
  startModbusRtuSerialServer,
} from './modbus/rtu-serial-server.js';
export { type RtuTcpOptions, startModbusRtuTcpServer } from './modbus/rtu-tcp-server.js';
export { type Listening, type ModbusTcpOptions, startModbusTcpServer } from './modbus/tcp-server.js';
export { type EvalMode, ModelEngine, normalise } from './model/engine.js';
export { RelationChecker, type SampleInput, type Violation } from './model/plausibility.js';
export { resolution } from './model/resolution.js';
export * from './national.js';
export * from './opcua/index.js';
export { AGENT_SCHEME, type AgentDevice, agentDeviceOf } from './scenario/agent-devices.js';
export {
  type DeviceInstance,
  endpointKey,
  type LoadedScenario,
  loadScenarioFile,
  parseScenario,
} from './scenario/load.js';
export { DeviceSpec, Endpoint, Scenario } from './scenario/schema.js';
export {
  type DeviceInfo,
  type EndpointInfo,
  Simulation,
  type SimulationOptions,
} from './scenario/simulation.js';
export { type SerialDeviceOptions, startSerialPortDevice, startSerialTcpDevice } from './serial/emitter.js';
export { formatNmeaAngle, parseNmeaAngle } from './serial/format.js';
export { type SerialFrames, serialFrames } from './serial/frames.js';
export { nmeaChecksum, nmeaSentence } from './serial/nmea.js';
export { deriveSeed, hashString, normalAt, uniformAt } from './signals/prng.js';
export { createSignal, type Signal, type SignalContext, type SignalValue } from './signals/signal.js';
export { type SignalKind, SignalSpec } from './signals/spec.js';
