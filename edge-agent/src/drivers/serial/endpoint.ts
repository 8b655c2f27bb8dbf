/**
 * Serial (line-oriented, talking) device endpoints:
 *   serial:///dev/ttyS0?baud=4800     a serial port
 *   serial-tcp://host:port            the same through a serial device server (raw TCP)
 */
import { hostPort, parseScheme, type SerialLineSettings, serialLine, transportKey } from '../endpoint-url.js';

export type SerialEndpoint =
  | ({ scheme: 'serial'; url: string } & SerialLineSettings)
  | { scheme: 'serial-tcp'; host: string; port: number; url: string };

export const SERIAL_SCHEMES = {
  serial: 'serial:///dev/ttyS0?baud=4800 (a talking serial device: NMEA, ASCII)',
  'serial-tcp': 'serial-tcp://host:port (the same through a serial device server)',
} as const satisfies Record<SerialEndpoint['scheme'], string>;

export function parseSerialEndpoint(url: string, defaultBaud: number): SerialEndpoint {
  return parseScheme<SerialEndpoint>(url, 'a serial', {
    serial: (u) => ({ scheme: 'serial', url, ...serialLine(u, url, defaultBaud) }),
    'serial-tcp': (u) => ({ scheme: 'serial-tcp', url, ...hostPort(u, url) }),
  });
}

/** A talking serial device owns its line (a serial port, or a socket to a serial server). */
export const serialEndpointLineKey = (e: SerialEndpoint): string => transportKey(e);
