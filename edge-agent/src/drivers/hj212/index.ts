/** The HJ 212 driver. Imported lazily through the protocol table (node:net only). */
import type { Driver, DriverContext } from '../driver.js';
import { hj212LineKey } from './endpoint.js';
import { Hj212Driver } from './hj212-driver.js';
import { Hj212Listener } from './listener.js';
import type { Hj212DeviceSpec } from './options.js';

/** Loggers whose endpoints name the same address and port share one listener. */
export function createHj212Driver(spec: Hj212DeviceSpec, ctx: DriverContext): Driver {
  const { endpoint } = spec;
  const key = hj212LineKey(endpoint);
  const listener = ctx.lines.acquire(
    key,
    (logger) => new Hj212Listener({ host: endpoint.host, port: endpoint.port, clock: ctx.clock, logger }),
  );
  return new Hj212Driver(spec, listener, ctx, () => ctx.lines.release(key));
}
