/**
 * The wire of a simulated meter bus (DL/T 645 or CJ/T 188): a serial port (one end of a
 * socat pty pair in tests; RS-485 through an adapter in the field) or a raw TCP port, as a
 * serial device server in TCP-server mode exposes a bus. Every connection (or the port)
 * gets its own responder, so a half frame on one socket never mixes with another's bytes.
 */
import type { Logger } from 'pino';
import { closeSerialPort, openSerialPort } from '../modbus/rtu-serial-server.js';
import { type Listening, startTcpListener } from '../net/tcp-listener.js';

/** Handles the bytes of one connection; calls write for every answer. */
export type Responder = (chunk: Uint8Array) => void;
export type ResponderFactory = (write: (b: Uint8Array) => void, close: () => void) => Responder;

export interface BusEndpoint {
  /** TCP port, or undefined on a serial line */
  port?: number;
  host?: string;
  path?: string;
  close(): Promise<void>;
}

export async function startBusTcp(opts: {
  host?: string;
  port: number;
  what: string;
  responder: ResponderFactory;
  logger?: Logger;
}): Promise<Listening> {
  return startTcpListener({
    ...(opts.host ? { host: opts.host } : {}),
    port: opts.port,
    what: opts.what,
    ...(opts.logger ? { logger: opts.logger } : {}),
    onConnection(sock) {
      const r = opts.responder(
        (b) => {
          if (!sock.destroyed) sock.write(b);
        },
        () => sock.destroy(),
      );
      sock.on('data', (chunk: Buffer) => r(chunk));
    },
  });
}

export async function startBusSerial(opts: {
  path: string;
  baudRate?: number;
  what: string;
  responder: ResponderFactory;
  logger?: Logger;
}): Promise<BusEndpoint> {
  const port = await openSerialPort(opts.path, opts.baudRate ?? 2400, opts.what);
  const r = opts.responder(
    (b) => {
      if (port.isOpen) port.write(b);
    },
    () => {}, // a serial line cannot be dropped: silence is the closest
  );
  port.on('data', (chunk: Buffer) => r(chunk));
  port.on('error', (err) => opts.logger?.warn({ err: err.message }, `${opts.what} serial error`));
  return { path: opts.path, close: () => closeSerialPort(port) };
}
