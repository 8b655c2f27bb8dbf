/**
 * The edge agent's device entry for a simulated device: what `npm start` writes into each
 * demo gateway's config and what the page and end-to-end tests use, in one place, so a new
 * protocol in the demo city reaches both (the tests once built their own and fell behind).
 */
import { simNamespaceUri } from '../opcua/node-ids.js';
import type { DeviceInstance } from './load.js';

/** scenario endpoint protocol → the agent's endpoint URL scheme */
export const AGENT_SCHEME: Readonly<Record<string, string>> = {
  'modbus-tcp': 'modbus-tcp',
  'modbus-rtu-tcp': 'modbus-rtutcp',
  'serial-tcp': 'serial-tcp',
  opcua: 'opc.tcp',
  'dlt645-tcp': 'dlt645-tcp',
  'cjt188-tcp': 'cjt188-tcp',
  // an HJ 212 data logger connects out: the gateway listens on the scenario's port
  hj212: 'hj212',
};

export interface AgentDevice {
  /** the device entry of the agent config */
  device: Record<string, unknown>;
  /** environment the agent needs for it (secrets stay out of the config file) */
  env: Record<string, string>;
}

/**
 * @param hostPort where the agent reaches the device (`host:port`); a full URL is kept as is
 * @throws for a protocol the agent has no endpoint for
 */
export function agentDeviceOf(d: DeviceInstance, hostPort: string): AgentDevice {
  const scheme = AGENT_SCHEME[d.endpoint.protocol];
  if (!scheme) throw new Error(`${d.id}: the agent has no endpoint for ${d.endpoint.protocol}`);
  const device: Record<string, unknown> = {
    id: d.id,
    profile: d.profile.id,
    endpoint: hostPort.includes('://') ? hostPort : `${scheme}://${hostPort}`,
  };
  const env: Record<string, string> = {};
  if (d.endpoint.protocol.startsWith('modbus')) device.unitId = d.unit;
  if (d.endpoint.protocol === 'dlt645-tcp') device.dlt645 = { address: d.address };
  if (d.endpoint.protocol === 'cjt188-tcp') device.cjt188 = { address: d.address };
  if (d.endpoint.protocol === 'hj212') {
    // the logger's password reaches the agent through its environment, never the config file
    const name = `GZ_HJ212_PW_${d.id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
    device.hj212 = { mn: d.mn, password: `\${ENV:${name}}` };
    env[name] = d.pw ?? '';
  }
  if (d.endpoint.protocol === 'opcua') {
    // the simulator serves each device instance in its own namespace
    device.opcua = { namespaceUri: simNamespaceUri(d, d.profile.opcua?.namespaceUri ?? '') };
  }
  return { device, env };
}
