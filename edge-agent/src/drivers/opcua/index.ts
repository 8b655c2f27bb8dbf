/** The OPC UA driver. Imported lazily through the protocol table: node-opcua costs ~130 MB when loaded. */
import { format } from 'node:util';
import { setErrorLogger, setWarningLogger } from 'node-opcua';
import type { Logger } from 'pino';
import type { Driver, DriverContext } from '../driver.js';
import { OpcuaDriver } from './opcua-driver.js';
import type { OpcuaDeviceSpec } from './options.js';

export { qualityOf, readingOf } from './data-value.js';
export { resolveNodeId } from './node-id.js';
export { OpcuaDriver } from './opcua-driver.js';

let routed = false;

/** node-opcua prints its warnings and errors with console.log; send them to the agent's log. */
function routeLibraryLogs(logger: Logger): void {
  if (routed) return;
  routed = true;
  const log = logger.child({ component: 'node-opcua' });
  // the first argument is node-opcua's caller context (file and line)
  setWarningLogger((_ctx, ...args) => log.warn(format(...args)));
  setErrorLogger((_ctx, ...args) => log.error(format(...args)));
}

export function createOpcuaDriver(spec: OpcuaDeviceSpec, ctx: DriverContext): Driver {
  routeLibraryLogs(ctx.logger);
  return new OpcuaDriver(spec, ctx);
}
