/** OPC UA endpoints: `opc.tcp://host:port[/path]` (OPC UA binary; default port 4840). */
import { endpointError, hostPort, parseEndpointUrl } from '../endpoint-url.js';

export interface OpcuaEndpoint {
  scheme: 'opc.tcp';
  url: string;
  host: string;
  port: number;
}

export const OPCUA_SCHEMES = {
  'opc.tcp': 'opc.tcp://host:port (OPC UA binary)',
} as const satisfies Record<OpcuaEndpoint['scheme'], string>;

export function parseOpcuaEndpoint(url: string): OpcuaEndpoint {
  // the URL is sent to the server (GetEndpoints, CreateSession) and shown on the status page
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the hint shows the reference syntax
  const u = parseEndpointUrl(url, 'use opcua.identity: { type: username, username, password: ${ENV:…} }');
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'opc.tcp') throw endpointError(url, `not an OPC UA scheme "${scheme}"`);
  return { scheme, url, ...hostPort(u, url, 4840) };
}

export const opcuaLineKey = (e: OpcuaEndpoint): string => `${e.scheme}://${e.host}:${e.port}`;
