// Simulators of the national-standard protocols (re-exports only): DL/T 645 and CJ/T 188
// meter buses (raw TCP or serial), the HJ 212 data logger that connects out.
export {
  type Cjt188Bus,
  type Cjt188BusOptions,
  type Cjt188Meter,
  startCjt188SerialBus,
  startCjt188TcpBus,
} from './cjt188/meter-bus.js';
export type { BusEndpoint } from './dlt645/bus-transport.js';
export {
  type Dlt645Bus,
  type Dlt645BusOptions,
  type Dlt645Meter,
  startDlt645SerialBus,
  startDlt645TcpBus,
} from './dlt645/meter-bus.js';
export { encodeDlt645 } from './dlt645/values.js';
export {
  Hj212DataLogger,
  type Hj212LoggerOptions,
  type Hj212LoggerStats,
  type Hj212SentPacket,
  startHj212Logger,
} from './hj212/data-logger.js';
