/** The Modbus driver. Imported lazily through the protocol table: it loads modbus-serial. */
import type { Driver, DriverContext } from '../driver.js';
import { modbusLineKey } from './endpoint.js';
import { ModbusDriver } from './modbus-driver.js';
import { ModbusLine } from './modbus-line.js';
import type { ModbusDeviceSpec } from './options.js';

/** Devices whose endpoints name the same line share one ModbusLine (and its queue). */
export function createModbusDriver(spec: ModbusDeviceSpec, ctx: DriverContext): Driver {
  const { endpoint } = spec;
  const key = modbusLineKey(endpoint);
  const line = ctx.lines.acquire(
    key,
    (logger) => new ModbusLine({ endpoint, clock: ctx.clock, random: ctx.random, logger }),
  );
  return new ModbusDriver(spec, line, ctx, () => ctx.lines.release(key));
}
