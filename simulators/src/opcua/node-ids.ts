/**
 * Where a device's points live on the simulator's OPC-UA server.
 *
 * Several devices of one profile share one server, and a profile's node ids are the
 * same for every instance, so each device instance gets a namespace of its own:
 *
 *   profile node id   nsu=urn:ganzhi:pump-station;s=Pump1.Flow
 *   device "ps-01"    nsu=urn:ganzhi:pump-station/ps-01;s=Pump1.Flow
 *
 * The identifier part (s=, i=, g=, b=) is kept exactly; only the namespace URI gets
 * "/<device id>" appended. The base URI is the node id's own nsu=, else the profile's
 * opcua.namespaceUri, else "urn:ganzhi:sim:<profile id>". A profile written with
 * ns=<index> is served in the device namespace too: indexes are a server's private
 * numbering, so clients should resolve nsu= node ids (simNodeId gives that form).
 *
 * Pure functions: no node-opcua import.
 */
import type { OpcuaPoint, Point, Profile } from '@ganzhi/device-profiles';
import { SimOpcuaError } from './errors.js';

export type IdentifierType = 'i' | 's' | 'g' | 'b';

export interface ParsedNodeId {
  /** the nsu= URI, when the node id was written in that form */
  namespaceUri?: string;
  /** the ns= index, when the node id was written in that form */
  namespaceIndex?: number;
  identifierType: IdentifierType;
  identifier: string;
}

const NODE_ID = /^(?:nsu=([^;]+)|ns=(\d+));([isgb])=(.+)$/s;

/** Parses `nsu=<uri>;s=<id>` / `ns=<n>;i=<n>`; undefined when the text is neither. */
export function parseOpcuaNodeId(text: string): ParsedNodeId | undefined {
  const m = NODE_ID.exec(text);
  if (!m) return undefined;
  const [, uri, index, type, identifier] = m;
  return {
    ...(uri !== undefined ? { namespaceUri: uri } : {}),
    ...(index !== undefined ? { namespaceIndex: Number(index) } : {}),
    identifierType: type as IdentifierType,
    identifier: identifier as string,
  };
}

/** The profile-level namespace URI a point's node id belongs to (before the device suffix). */
export function baseNamespaceUri(profile: Profile, parsed: ParsedNodeId): string {
  return parsed.namespaceUri ?? profile.opcua?.namespaceUri ?? `urn:ganzhi:sim:${profile.id}`;
}

/** The namespace URI a device instance's points are served in for a given base URI. */
export function simNamespaceUri(device: { id: string }, baseUri: string): string {
  return `${baseUri}/${device.id}`;
}

function findPoint(profile: Profile, point: Point | string): OpcuaPoint | undefined {
  const p = typeof point === 'string' ? profile.points.find((q) => q.name === point) : point;
  return p && 'opcua' in p ? p : undefined;
}

/**
 * The node id (nsu= form) under which the simulator serves `point` of `device`.
 * Throws GZ_SIM_OPCUA_POINT when the point is not an OPC-UA point of the device's profile.
 */
export function simNodeId(device: { id: string; profile: Profile }, point: Point | string): string {
  const p = findPoint(device.profile, point);
  const parsed = p ? parseOpcuaNodeId(p.opcua.nodeId) : undefined;
  if (!p || !parsed) {
    const name = typeof point === 'string' ? point : point.name;
    throw new SimOpcuaError(
      'GZ_SIM_OPCUA_POINT',
      `device ${device.id}: point ${name} is not an OPC-UA point of profile ${device.profile.id}`,
    );
  }
  const uri = simNamespaceUri(device, baseNamespaceUri(device.profile, parsed));
  return `nsu=${uri};${parsed.identifierType}=${parsed.identifier}`;
}
