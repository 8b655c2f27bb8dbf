import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import type { Endpoint } from '../../config/endpoint.js';
import type { DeviceSpec, Driver, DriverContext } from '../driver.js';
import { SerialDriver } from './serial-driver.js';

export { checkFrame, nmeaChecksum, parseFrame, stxEtxChecksum } from './frame-parser.js';
export { createFramer } from './framer.js';
export { SerialDriver } from './serial-driver.js';

/** Opens the byte stream of a serial:// or serial-tcp:// endpoint. */
export function openSerialStream(e: Endpoint, timeoutMs = 3000): Promise<Duplex> {
  if (e.scheme === 'serial' || e.scheme === 'modbus-rtu') {
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
  if (e.scheme === 'serial-tcp') {
    return new Promise((resolve, reject) => {
      const s = createConnection({ host: e.host, port: e.port });
      const t = setTimeout(() => {
        s.destroy();
        reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(t);
        reject(err);
      });
    });
  }
  return Promise.reject(new Error(`not a serial endpoint: ${e.url}`));
}

export function createSerialDriver(spec: DeviceSpec, ctx: DriverContext): Driver {
  return new SerialDriver(spec, ctx, () => openSerialStream(spec.endpoint, spec.timeoutMs));
}
