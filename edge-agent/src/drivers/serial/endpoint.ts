/**
 * Serial (line-oriented, talking) device endpoints:
 *   serial:///dev/ttyS0?baud=4800     a serial port
 *   serial-tcp://host:port            the same through a serial device server (raw TCP)
 */
import {
  endpointError,
  hostPort,
  parseEndpointUrl,
  type SerialLineSettings,
  serialLine,
  serialLineKey,
} from '../endpoint-url.js';

export type SerialEndpoint =
  | ({ scheme: 'serial'; url: string } & SerialLineSettings)
  | { scheme: 'serial-tcp'; host: string; port: number; url: string };

export const SERIAL_SCHEMES = {
  serial: 'serial:///dev/ttyS0?baud=4800 (a talking serial device: NMEA, ASCII)',
  'serial-tcp': 'serial-tcp://host:port (the same through a serial device server)',
} as const satisfies Record<SerialEndpoint['scheme'], string>;

export function parseSerialEndpoint(url: string, defaultBaud: number): SerialEndpoint {
  const u = parseEndpointUrl(url);
  const scheme = u.protocol.replace(/:$/, '');
  switch (scheme) {
    case 'serial':
      return { scheme, url, ...serialLine(u, url, defaultBaud) };
    case 'serial-tcp':
      return { scheme, url, ...hostPort(u, url) };
    default:
      throw endpointError(url, `not a serial scheme "${scheme}"`);
  }
}

export function serialEndpointLineKey(e: SerialEndpoint): string {
  return e.scheme === 'serial' ? serialLineKey(e.path) : `${e.scheme}://${e.host}:${e.port}`;
}
