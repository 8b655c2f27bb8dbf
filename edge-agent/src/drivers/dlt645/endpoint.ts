/**
 * DL/T 645 endpoints:
 *   dlt645:///dev/ttyUSB0?baud=2400&parity=even   the RS-485 bus on a serial port (default 2400 8E1)
 *   dlt645-tcp://host:port                        the bus behind a serial device server (raw TCP)
 */
import { type MeterBusEndpoint, meterBusLineKey, parseMeterBusEndpoint } from '../meter-bus/bus-endpoint.js';

export type Dlt645Endpoint = MeterBusEndpoint<'dlt645'>;

export const DLT645_SCHEMES = {
  dlt645: 'dlt645:///dev/ttyUSB0?baud=2400&parity=even (DL/T 645 meters on RS-485)',
  'dlt645-tcp': 'dlt645-tcp://host:port (DL/T 645 meters behind a serial device server)',
} as const satisfies Record<Dlt645Endpoint['scheme'], string>;

export function parseDlt645Endpoint(url: string, defaultBaud: number): Dlt645Endpoint {
  return parseMeterBusEndpoint(url, 'dlt645', 'a DL/T 645', defaultBaud);
}

export const dlt645LineKey = (e: Dlt645Endpoint): string => meterBusLineKey(e);
