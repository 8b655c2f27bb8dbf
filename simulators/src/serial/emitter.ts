/**
 * A serial device on the wire: every intervalMs its frames go out on a serial port (one
 * end of a pty pair in tests) or to every client of a raw TCP server (a serial device
 * server in TCP-server mode).
 */
import type { Socket } from 'node:net';
import { seededRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { SerialPort } from 'serialport';
import type { SimDevice } from '../device/sim-device.js';
import { closeSerialPort, openSerialPort } from '../modbus/rtu-serial-server.js';
import { type Listening, startTcpListener } from '../net/tcp-listener.js';
import { serialFrames } from './frames.js';

export interface SerialDeviceOptions {
  device: SimDevice;
  /** default: the profile's serial.intervalMs, else 1000 */
  intervalMs?: number;
  logger?: Logger;
  seed?: number;
}

function ticker(opts: SerialDeviceOptions, write: (b: Buffer) => void): () => void {
  const frames = serialFrames(opts.device);
  const noise = seededRandom(opts.seed ?? 1);
  const every = opts.intervalMs ?? opts.device.profile.serial?.intervalMs ?? 1000;
  let warned = false;
  const t = setInterval(() => {
    try {
      const b = frames.emit(opts.device.now(), noise);
      if (b.length > 0) write(b);
    } catch (err) {
      // a value the profile cannot print: skip the frame, say so once
      if (!warned)
        opts.logger?.warn({ err: (err as Error).message, device: opts.device.id }, 'frame skipped');
      warned = true;
    }
  }, every);
  return () => clearInterval(t);
}

export async function startSerialTcpDevice(
  opts: SerialDeviceOptions & { host?: string; port: number },
): Promise<Listening> {
  const sockets = new Set<Socket>();
  const d = opts.device;
  const l = await startTcpListener({
    ...(opts.host ? { host: opts.host } : {}),
    port: opts.port,
    what: `serial device ${d.id}`,
    refusing: () => d.faults.isActive('refuse', d.now()),
    ...(opts.logger ? { logger: opts.logger } : {}),
    onConnection(sock) {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('data', () => {}); // input ignored: the device only talks
    },
  });
  const stop = ticker(opts, (b) => {
    const drop = d.faults.isActive('drop', d.now());
    for (const s of sockets) {
      if (drop) s.destroy();
      else s.write(b);
    }
  });
  opts.logger?.info({ host: l.host, port: l.port, device: d.id }, 'serial device listening (raw tcp)');
  return {
    ...l,
    close: async () => {
      stop();
      await l.close();
    },
  };
}

export async function startSerialPortDevice(
  opts: SerialDeviceOptions & { path: string; baudRate?: number },
): Promise<{ path: string; close(): Promise<void> }> {
  const baud = opts.baudRate ?? opts.device.profile.serial?.baudRate ?? 9600;
  const port: SerialPort = await openSerialPort(opts.path, baud, `serial device ${opts.device.id}`);
  port.on('error', (err) => opts.logger?.warn({ err: err.message }, 'serial device port error'));
  port.on('data', () => {});
  const stop = ticker(opts, (b) => {
    if (port.isOpen) port.write(b);
  });
  opts.logger?.info({ path: opts.path, device: opts.device.id }, 'serial device on port');
  return {
    path: opts.path,
    close: async () => {
      stop();
      await closeSerialPort(port);
    },
  };
}
