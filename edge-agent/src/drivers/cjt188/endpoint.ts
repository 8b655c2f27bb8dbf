/**
 * CJ/T 188 endpoints:
 *   cjt188:///dev/ttyUSB0?baud=2400&parity=even   the meter bus on a serial port (RS-485, or M-Bus through a level converter)
 *   cjt188-tcp://host:port                        the bus behind a serial device server (raw TCP)
 */
import { type MeterBusEndpoint, meterBusLineKey, parseMeterBusEndpoint } from '../meter-bus/bus-endpoint.js';

export type Cjt188Endpoint = MeterBusEndpoint<'cjt188'>;

export const CJT188_SCHEMES = {
  cjt188: 'cjt188:///dev/ttyUSB0?baud=2400&parity=even (CJ/T 188 water, heat, gas meters on a bus)',
  'cjt188-tcp': 'cjt188-tcp://host:port (CJ/T 188 meters behind a serial device server)',
} as const satisfies Record<Cjt188Endpoint['scheme'], string>;

export function parseCjt188Endpoint(url: string, defaultBaud: number): Cjt188Endpoint {
  return parseMeterBusEndpoint(url, 'cjt188', 'a CJ/T 188', defaultBaud);
}

export const cjt188LineKey = (e: Cjt188Endpoint): string => meterBusLineKey(e);
