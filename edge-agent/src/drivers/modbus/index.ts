import { lineKey } from '../../config/endpoint.js';
import type { DeviceSpec, Driver, DriverContext } from '../driver.js';
import { ModbusDriver } from './modbus-driver.js';
import { type ModbusEndpoint, ModbusLine } from './modbus-line.js';

export { classifyModbusError, exceptionReason, LineDownError } from './fault.js';
export { ModbusDriver } from './modbus-driver.js';
export { ModbusLine } from './modbus-line.js';

/** Devices whose endpoints name the same line share one ModbusLine (and its queue). */
export function createModbusDriver(spec: DeviceSpec, ctx: DriverContext): Driver {
  const endpoint = spec.endpoint as ModbusEndpoint;
  const key = lineKey(endpoint);
  const line = ctx.lines.acquire(
    key,
    () => new ModbusLine({ endpoint, clock: ctx.clock, random: ctx.random, logger: ctx.logger }),
  );
  return new ModbusDriver(spec, line, ctx, () => ctx.lines.release(key));
}
