/**
 * Modbus endpoints:
 *   modbus-tcp://host:port                                        Modbus TCP (default port 502)
 *   modbus-rtu:///dev/ttyUSB0?baud=9600&parity=N&stop=1&data=8    Modbus RTU on a serial line
 *   modbus-rtutcp://host:port                                     RTU frames over a TCP socket (serial server)
 */
import { hostPort, parseScheme, type SerialLineSettings, serialLine, transportKey } from '../endpoint-url.js';

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
  return parseScheme<ModbusEndpoint>(url, 'a Modbus', {
    'modbus-tcp': (u) => ({ scheme: 'modbus-tcp', url, ...hostPort(u, url, 502) }),
    'modbus-rtutcp': (u) => ({ scheme: 'modbus-rtutcp', url, ...hostPort(u, url) }),
    'modbus-rtu': (u) => ({ scheme: 'modbus-rtu', url, ...serialLine(u, url, defaultBaud) }),
  });
}

/** Devices on one serial port, one RTU-over-TCP socket or one Modbus TCP host:port share one line. */
export const modbusLineKey = (e: ModbusEndpoint): string => transportKey(e);
