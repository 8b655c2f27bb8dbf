/**
 * The protocol table: every protocol the agent speaks, one line each. The config schema,
 * `validate`, endpoint parsing and the lazy driver loading all read it — adding a protocol
 * (DL/T 645, CJ/T 188, HJ 212 …) is adding a folder with its `protocol.ts` and a line here.
 *
 * The device spec the agent and the drivers work with is the union of the protocols' specs,
 * discriminated by `protocol`.
 */

import { cjt188Protocol } from './cjt188/protocol.js';
import { dlt645Protocol } from './dlt645/protocol.js';
import { endpointError, parseEndpointUrl } from './endpoint-url.js';
import { hj212Protocol } from './hj212/protocol.js';
import { modbusProtocol } from './modbus/protocol.js';
import { opcuaProtocol } from './opcua/protocol.js';
import type { ProtocolModule } from './protocol.js';
import { serialProtocol } from './serial/protocol.js';

export const PROTOCOLS = [
  modbusProtocol,
  opcuaProtocol,
  serialProtocol,
  // national-standard protocols (issue 17)
  dlt645Protocol,
  cjt188Protocol,
  hj212Protocol,
] as const;

type Module = (typeof PROTOCOLS)[number];
type SpecOf<M> = M extends ProtocolModule<infer S, infer _E, infer _P> ? S : never;
type EndpointOf<M> = M extends ProtocolModule<infer _S, infer E, infer _P> ? E : never;

/** One device instance as resolved from the config: a union discriminated by `protocol`. */
export type DeviceSpec = SpecOf<Module>;
/** Any protocol's endpoint: a union discriminated by `scheme`. */
export type Endpoint = EndpointOf<Module>;
export type EndpointScheme = Endpoint['scheme'];

/** The table seen without each protocol's own types (what generic code iterates over). */
export const protocolModules: readonly ProtocolModule[] = PROTOCOLS;

const BY_SCHEME = new Map<string, ProtocolModule>(
  protocolModules.flatMap((m) => Object.keys(m.schemes).map((s) => [s, m] as const)),
);

export const ENDPOINT_SCHEMES: readonly string[] = [...BY_SCHEME.keys()];

/** The protocol module serving a scheme, or undefined. */
export function protocolOfScheme(scheme: string): ProtocolModule | undefined {
  return BY_SCHEME.get(scheme);
}

/**
 * Parses a device endpoint URL; the scheme picks the protocol. Throws GZ_AGENT_ENDPOINT_INVALID
 * naming what is wrong (never echoing credentials). `defaultBaud` is the profile's, for serial lines.
 */
export function parseEndpoint(url: string, defaultBaud = 9600): Endpoint {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1] ?? '';
  const m = BY_SCHEME.get(scheme);
  if (!m) {
    parseEndpointUrl(url); // not a URL, or credentials in it: say so first
    throw endpointError(url, `unknown scheme "${scheme}" (known: ${ENDPOINT_SCHEMES.join(', ')})`);
  }
  return m.parseEndpoint(url, defaultBaud) as Endpoint;
}

/**
 * The physical line an endpoint occupies. Devices with the same line key share one transport
 * (one serial port, one TCP socket) and take turns on it.
 */
export function lineKey(e: Endpoint): string {
  const m = BY_SCHEME.get(e.scheme);
  if (!m) throw endpointError(e.url, `unknown scheme "${e.scheme}"`);
  return m.lineKey(e);
}
