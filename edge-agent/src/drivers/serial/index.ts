/** The serial driver. Imported lazily through the protocol table: it loads serialport. */
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Clock, systemClock } from '@ganzhi/runtime';
import { SerialPort } from 'serialport';
import type { Driver, DriverContext } from '../driver.js';
import type { SerialEndpoint } from './endpoint.js';
import type { SerialDeviceSpec } from './options.js';
import { SerialDriver } from './serial-driver.js';

export { checkFrame, nmeaChecksum, parseFrame, stxEtxChecksum } from './frame-parser.js';
export { createFramer } from './framer.js';
export { SerialDriver } from './serial-driver.js';

/** Opens the byte stream of a serial:// or serial-tcp:// endpoint. */
export function openSerialStream(
  e: SerialEndpoint,
  timeoutMs = 3000,
  clock: Clock = systemClock,
): Promise<Duplex> {
  if (e.scheme === 'serial') {
    const port = new SerialPort({
      path: e.path,
      baudRate: e.baudRate,
      parity: e.parity,
      dataBits: e.dataBits,
      stopBits: e.stopBits,
      autoOpen: false,
    });
    return new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve(port))));
  }
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: e.host, port: e.port });
    const t = clock.setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    s.once('connect', () => {
      clock.clearTimeout(t);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clock.clearTimeout(t);
      reject(err);
    });
  });
}

export function createSerialDriver(spec: SerialDeviceSpec, ctx: DriverContext): Driver {
  return new SerialDriver(spec, ctx, () => openSerialStream(spec.endpoint, spec.timeoutMs, ctx.clock));
}
