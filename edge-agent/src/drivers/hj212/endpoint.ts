/**
 * HJ 212 endpoint: where the agent listens for data loggers (they connect out to it).
 *   hj212://0.0.0.0:9000    every interface, port 9000
 *   hj212://10.1.2.3:9000   one interface
 * Several loggers (devices with their own MN) share one listener.
 */
import { hostPort, parseScheme } from '../endpoint-url.js';

export interface Hj212Endpoint {
  scheme: 'hj212';
  url: string;
  host: string;
  port: number;
}

export const HJ212_SCHEMES = {
  hj212: 'hj212://0.0.0.0:PORT (listen for HJ 212 data loggers; several loggers share a port)',
} as const satisfies Record<Hj212Endpoint['scheme'], string>;

export function parseHj212Endpoint(url: string): Hj212Endpoint {
  return parseScheme<Hj212Endpoint>(url, 'an HJ 212', {
    hj212: (u) => ({ scheme: 'hj212', url, ...hostPort(u, url) }),
  });
}

export const hj212LineKey = (e: Hj212Endpoint): string => `hj212://${e.host}:${e.port}`;
