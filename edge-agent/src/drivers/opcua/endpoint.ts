/** OPC UA endpoints: `opc.tcp://host:port[/path]` (OPC UA binary; default port 4840). */
import { hostPort, parseScheme, transportKey } from '../endpoint-url.js';

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
  return parseScheme<OpcuaEndpoint>(
    url,
    'an OPC UA',
    { 'opc.tcp': (u) => ({ scheme: 'opc.tcp', url, ...hostPort(u, url, 4840) }) },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the hint shows the reference syntax
    'use opcua.identity: { type: username, username, password: ${ENV:…} }',
  );
}

export const opcuaLineKey = (e: OpcuaEndpoint): string => transportKey(e);
