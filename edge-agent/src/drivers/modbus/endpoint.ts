/**
 * Modbus endpoints:
 *   modbus-tcp://host:port                                        Modbus TCP (default port 502)
 *   modbus-rtu:///dev/ttyUSB0?baud=9600&parity=N&stop=1&data=8    Modbus RTU on a serial line
 *   modbus-rtutcp://host:port                                     RTU frames over a TCP socket (serial server)
 */
import {
  endpointError,
  hostPort,
  parseEndpointUrl,
  type SerialLineSettings,
  serialLine,
  serialLineKey,
} from '../endpoint-url.js';

export type ModbusEndpoint =
  | { scheme: 'modbus-tcp'; host: string; port: number; url: string }
  | { scheme: 'modbus-rtutcp'; host: string; port: number; url: string }
  | ({ scheme: 'modbus-rtu'; url: string } & SerialLineSettings);

export const MODBUS_SCHEMES = {
  'modbus-tcp': 'modbus-tcp://host:port (Modbus TCP, default port 502)',
  'modbus-rtu': 'modbus-rtu:///dev/ttyUSB0?baud=9600&parity=N (Modbus RTU on RS-485)',
  'modbus-rtutcp': 'modbus-rtutcp://host:port (RTU frames through a serial device server)',
} as const satisfies Record<ModbusEndpoint['scheme'], string>;

export function parseModbusEndpoint(url: string, defaultBaud: number): ModbusEndpoint {
  const u = parseEndpointUrl(url);
  const scheme = u.protocol.replace(/:$/, '');
  switch (scheme) {
    case 'modbus-tcp':
      return { scheme, url, ...hostPort(u, url, 502) };
    case 'modbus-rtutcp':
      return { scheme, url, ...hostPort(u, url) };
    case 'modbus-rtu':
      return { scheme, url, ...serialLine(u, url, defaultBaud) };
    default:
      throw endpointError(url, `not a Modbus scheme "${scheme}"`);
  }
}

/** Devices on one serial port, one RTU-over-TCP socket or one Modbus TCP host:port share one line. */
export function modbusLineKey(e: ModbusEndpoint): string {
  return e.scheme === 'modbus-rtu' ? serialLineKey(e.path) : `${e.scheme}://${e.host}:${e.port}`;
}
