/**
 * The parts of endpoint URLs that several protocols share: host and port, the settings of a
 * serial line in the query, and the one rule for all of them — no credentials in the URL.
 * (A URL is shown on the status page and /api/devices, written to logs and, for OPC UA, sent
 * to the server: a password there leaks. Identities have their own config keys.)
 *
 * Every error message shows the URL with its user info replaced by `***`, never the password.
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

/** The URL as it may be shown: any user info (`user:pass@`) replaced by `***@`. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

export function endpointError(url: string, why: string): AgentError {
  return new AgentError('GZ_AGENT_ENDPOINT_INVALID', `endpoint "${displayUrl(url)}": ${why}`);
}

/**
 * Parses an endpoint URL and refuses user info in it. `hint` says where credentials belong
 * for this protocol (e.g. `opcua.identity`).
 */
export function parseEndpointUrl(url: string, hint = 'this protocol takes none'): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw endpointError(url, 'not a URL');
  }
  if (u.username !== '' || u.password !== '') {
    throw endpointError(url, `credentials do not belong in the URL (${hint})`);
  }
  return u;
}

export function hostPort(u: URL, url: string, defaultPort?: number): { host: string; port: number } {
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw endpointError(url, 'missing host');
  const port = u.port ? Number(u.port) : defaultPort;
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw endpointError(url, 'missing or invalid port');
  }
  return { host, port };
}

export function serialLine(u: URL, url: string, defaultBaud: number): SerialLineSettings {
  const path = decodeURIComponent(u.pathname);
  if (!path || path === '/') {
    throw endpointError(url, 'missing device path (e.g. modbus-rtu:///dev/ttyUSB0?baud=9600)');
  }
  const known = new Set(['baud', 'parity', 'data', 'stop']);
  for (const k of u.searchParams.keys()) {
    if (!known.has(k)) throw endpointError(url, `unknown option "${k}" (known: baud, parity, data, stop)`);
  }
  const baudRate = Number(u.searchParams.get('baud') ?? defaultBaud);
  if (!Number.isInteger(baudRate) || baudRate < 50 || baudRate > 4_000_000) {
    throw endpointError(url, 'invalid baud');
  }
  const p = (u.searchParams.get('parity') ?? 'N').toLowerCase();
  const parity = PARITY[p];
  if (!parity) throw endpointError(url, `invalid parity "${p}" (N, E, O)`);
  const dataBits = Number(u.searchParams.get('data') ?? 8);
  if (![5, 6, 7, 8].includes(dataBits)) throw endpointError(url, 'invalid data bits (5-8)');
  const stopBits = Number(u.searchParams.get('stop') ?? 1);
  if (stopBits !== 1 && stopBits !== 2) throw endpointError(url, 'invalid stop bits (1 or 2)');
  return { path, baudRate, parity, dataBits: dataBits as 5 | 6 | 7 | 8, stopBits };
}

/**
 * Parses `url` with the parser its scheme names in `parsers` (credentials refused first, with
 * `hint` saying where they belong); another scheme is an error naming `what` was expected.
 */
export function parseScheme<E>(
  url: string,
  what: string,
  parsers: Record<string, (u: URL, scheme: string) => E>,
  hint?: string,
): E {
  const u = parseEndpointUrl(url, hint);
  const scheme = u.protocol.replace(/:$/, '');
  const parse = parsers[scheme];
  if (!parse) throw endpointError(url, `not ${what} scheme "${scheme}"`);
  return parse(u, scheme);
}

/**
 * The line an endpoint occupies: a serial port by its device file (whatever scheme opens it),
 * a socket by scheme, host and port. Devices with the same key share one transport.
 */
export function transportKey(
  e: { scheme: string } & ({ path: string } | { host: string; port: number }),
): string {
  return 'path' in e ? `serial:${e.path}` : `${e.scheme}://${e.host}:${e.port}`;
}
