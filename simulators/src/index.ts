// Public API of @ganzhi/simulators (re-exports only).
export { buildControlApp, type ControlTarget, ERRORS as CONTROL_ERRORS } from './control/app.js';
export { type Clock, ManualClock, systemClock } from './device/clock.js';
export { clampToRegister, encodeModbusValue } from './device/codec.js';
export { defaultSignal, isTotal } from './device/defaults.js';
export { coerce, quantise, serialText } from './device/quantise.js';
export { type DeviceOptions, type PointTruth, SimDevice } from './device/sim-device.js';
export type { PointSample, SampleStatus, SimPointSource } from './device/source.js';
export { type SimError, type SimErrorCode, simError } from './errors.js';
export { type ActiveFault, FaultState, type FrameAction, type FrameDecision } from './faults/fault-state.js';
export { FAULT_KINDS, type FaultKind, FaultSpec } from './faults/spec.js';
export { type Answer, answer, type ModbusDevice, type UnitTable } from './modbus/answer.js';
export { crc16, crcOk, withCrc } from './modbus/crc16.js';
export { EXCEPTION, FC, handlePdu, LIMITS, type ModbusUnit } from './modbus/pdu.js';
export { RtuDeframer } from './modbus/rtu-deframer.js';
export {
  type RtuSerialOptions,
  type SerialEndpoint,
  startModbusRtuSerialServer,
} from './modbus/rtu-serial-server.js';
export { type RtuTcpOptions, startModbusRtuTcpServer } from './modbus/rtu-tcp-server.js';
export { type Listening, type ModbusTcpOptions, startModbusTcpServer } from './modbus/tcp-server.js';
export * from './national.js';
export * from './opcua/index.js';
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
export { deriveSeed, hashString, mulberry32, normalAt, uniformAt } from './signals/prng.js';
export { createSignal, type Signal, type SignalContext, type SignalValue } from './signals/signal.js';
export { type SignalKind, SignalSpec } from './signals/spec.js';
