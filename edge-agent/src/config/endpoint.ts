/**
 * Device endpoints as URLs. The scheme picks the driver:
 *   modbus-tcp://host:port                       Modbus TCP (default port 502)
 *   modbus-rtu:///dev/ttyUSB0?baud=9600&parity=N&stop=1&data=8   Modbus RTU on a serial line
 *   modbus-rtutcp://host:port                    Modbus RTU frames over a TCP socket (serial server)
 *   opc.tcp://host:port[/path]                   OPC UA binary
 *   serial:///dev/ttyS0?baud=4800                line-oriented serial device
 *   serial-tcp://host:port                       the same over a TCP socket (serial server)
 */
import { AgentError } from '../errors.js';

export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';

export interface SerialLineSettings {
  path: string;
  baudRate: number;
  parity: Parity;
  dataBits: 5 | 6 | 7 | 8;
  stopBits: 1 | 2;
}

export type Endpoint =
  | { scheme: 'modbus-tcp'; host: string; port: number; url: string }
  | { scheme: 'modbus-rtutcp'; host: string; port: number; url: string }
  | ({ scheme: 'modbus-rtu'; url: string } & SerialLineSettings)
  | { scheme: 'opc.tcp'; url: string; host: string; port: number }
  | ({ scheme: 'serial'; url: string } & SerialLineSettings)
  | { scheme: 'serial-tcp'; host: string; port: number; url: string };

export type EndpointScheme = Endpoint['scheme'];
export const ENDPOINT_SCHEMES: readonly EndpointScheme[] = [
  'modbus-tcp',
  'modbus-rtu',
  'modbus-rtutcp',
  'opc.tcp',
  'serial',
  'serial-tcp',
];

/** The profile protocol each scheme can serve. */
export const SCHEME_PROTOCOL: Record<EndpointScheme, 'modbus' | 'opcua' | 'serial'> = {
  'modbus-tcp': 'modbus',
  'modbus-rtu': 'modbus',
  'modbus-rtutcp': 'modbus',
  'opc.tcp': 'opcua',
  serial: 'serial',
  'serial-tcp': 'serial',
};

const PARITY: Record<string, Parity> = {
  n: 'none',
  none: 'none',
  e: 'even',
  even: 'even',
  o: 'odd',
  odd: 'odd',
  m: 'mark',
  mark: 'mark',
  s: 'space',
  space: 'space',
};

function fail(url: string, why: string): never {
  throw new AgentError('GZ_AGENT_ENDPOINT_INVALID', `endpoint "${url}": ${why}`);
}

function hostPort(u: URL, url: string, defaultPort?: number): { host: string; port: number } {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) fail(url, 'missing host');
  const port = u.port ? Number(u.port) : defaultPort;
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail(url, 'missing or invalid port');
  }
  return { host, port };
}

function serialLine(u: URL, url: string, defaultBaud: number): SerialLineSettings {
  const path = decodeURIComponent(u.pathname);
  if (!path || path === '/') fail(url, 'missing device path (e.g. modbus-rtu:///dev/ttyUSB0?baud=9600)');
  const known = new Set(['baud', 'parity', 'data', 'stop']);
  for (const k of u.searchParams.keys()) {
    if (!known.has(k)) fail(url, `unknown option "${k}" (known: baud, parity, data, stop)`);
  }
  const baudRate = Number(u.searchParams.get('baud') ?? defaultBaud);
  if (!Number.isInteger(baudRate) || baudRate < 50 || baudRate > 4_000_000) fail(url, 'invalid baud');
  const p = (u.searchParams.get('parity') ?? 'N').toLowerCase();
  const parity = PARITY[p];
  if (!parity) fail(url, `invalid parity "${p}" (N, E, O)`);
  const dataBits = Number(u.searchParams.get('data') ?? 8);
  if (![5, 6, 7, 8].includes(dataBits)) fail(url, 'invalid data bits (5-8)');
  const stopBits = Number(u.searchParams.get('stop') ?? 1);
  if (stopBits !== 1 && stopBits !== 2) fail(url, 'invalid stop bits (1 or 2)');
  return { path, baudRate, parity, dataBits: dataBits as 5 | 6 | 7 | 8, stopBits };
}

export function parseEndpoint(url: string, defaultBaud = 9600): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail(url, 'not a URL');
  }
  const scheme = u.protocol.replace(/:$/, '');
  switch (scheme) {
    case 'modbus-tcp':
      return { scheme, url, ...hostPort(u, url, 502) };
    case 'modbus-rtutcp':
      return { scheme, url, ...hostPort(u, url) };
    case 'modbus-rtu':
      return { scheme, url, ...serialLine(u, url, defaultBaud) };
    case 'opc.tcp':
      return { scheme, url, ...hostPort(u, url, 4840) };
    case 'serial':
      return { scheme, url, ...serialLine(u, url, defaultBaud) };
    case 'serial-tcp':
      return { scheme, url, ...hostPort(u, url) };
    default:
      return fail(url, `unknown scheme "${scheme}" (known: ${ENDPOINT_SCHEMES.join(', ')})`);
  }
}

/**
 * The physical line an endpoint occupies. Devices with the same line key share one
 * transport (one serial port, one TCP socket) and take turns on it.
 */
export function lineKey(e: Endpoint): string {
  switch (e.scheme) {
    case 'modbus-rtu':
    case 'serial':
      return `serial:${e.path}`;
    case 'modbus-tcp':
    case 'modbus-rtutcp':
    case 'serial-tcp':
    case 'opc.tcp':
      return `${e.scheme}://${e.host}:${e.port}`;
  }
}
