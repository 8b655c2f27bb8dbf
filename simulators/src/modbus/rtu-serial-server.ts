/**
 * Modbus RTU on a serial line (a real port, or one end of a socat pty pair in tests).
 * Frames are cut by function-code length, not by an inter-frame timer, so the answer goes
 * out as soon as the request's last byte is in (modbus-serial's ServerSerial waits a 30 ms
 * timer per request instead).
 */

import { seededRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import { simError } from '../errors.js';
import type { UnitTable } from './answer.js';
import { RtuDeframer } from './rtu-deframer.js';
import { rtuStream } from './rtu-station.js';

export interface RtuSerialOptions {
  path: string;
  baudRate?: number;
  units: UnitTable;
  logger?: Logger;
  seed?: number;
  /** silence after which leftover bytes are one frame or noise; default 20 ms */
  idleMs?: number;
}

export interface SerialEndpoint {
  path: string;
  close(): Promise<void>;
}

export function openSerialPort(path: string, baudRate: number, what: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => {
      if (err) reject(simError('GZ_SIM_LISTEN', `${what} cannot open ${path}`, err));
      else resolve(port);
    });
  });
}

export function closeSerialPort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) {
      resolve();
      return;
    }
    port.close(() => resolve());
  });
}

export async function startModbusRtuSerialServer(opts: RtuSerialOptions): Promise<SerialEndpoint> {
  const port = await openSerialPort(opts.path, opts.baudRate ?? 9600, 'modbus rtu');
  const noise = seededRandom(opts.seed ?? 1);
  const stream = rtuStream(new RtuDeframer(), opts.units, noise, {
    idleMs: opts.idleMs ?? 20,
    write: (b) => {
      if (port.isOpen) port.write(b);
    },
    // a serial line cannot be "dropped": the closest is staying silent
    drop: () => {},
  });
  port.on('data', (chunk: Buffer) => stream.data(chunk));
  port.on('error', (err) => opts.logger?.warn({ err: err.message }, 'modbus rtu serial error'));
  opts.logger?.info({ path: opts.path, units: [...opts.units.keys()] }, 'modbus rtu listening');
  return {
    path: opts.path,
    close: async () => {
      stream.stop();
      await closeSerialPort(port);
    },
  };
}
