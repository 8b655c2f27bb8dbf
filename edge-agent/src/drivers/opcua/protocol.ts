/**
 * OPC UA: one protocol module (see ../protocol.ts). File paths in the `opcua` section (the PKI
 * folder, identity certificate and key) are relative to the config file, as `stateDir` is.
 */
import { join, resolve } from 'node:path';
import type { ProtocolModule } from '../protocol.js';
import { OPCUA_SCHEMES, type OpcuaEndpoint, opcuaLineKey, parseOpcuaEndpoint } from './endpoint.js';
import { DEFAULT_TRUST, OPCUA_DEVICE_FIELDS, type OpcuaDeviceSpec, type OpcuaIdentity } from './options.js';

export const opcuaProtocol: ProtocolModule<OpcuaDeviceSpec, OpcuaEndpoint, typeof OPCUA_DEVICE_FIELDS> = {
  protocol: 'opcua',
  schemes: OPCUA_SCHEMES,
  deviceFields: OPCUA_DEVICE_FIELDS,
  parseEndpoint: (url) => parseOpcuaEndpoint(url),
  lineKey: opcuaLineKey,
  warnings(fields) {
    const o = fields.opcua;
    if (o?.trust === 'auto-accept') {
      return [
        {
          path: ['opcua', 'trust'],
          message:
            'auto-accept trusts any server certificate, so anyone on the network can pose as this server: ' +
            'use strict (and `ganzhi-agent pki trust`) or tofu unless the network is isolated',
        },
      ];
    }
    if (o?.trust !== undefined && (o.securityMode ?? 'None') === 'None') {
      return [
        {
          path: ['opcua', 'trust'],
          message:
            'has no effect with securityMode None: no server certificate is checked (nor anything encrypted)',
        },
      ];
    }
    return [];
  },
  resolve(base, endpoint, fields, ctx) {
    const { pkiDir, trust, identity, ...rest } = fields.opcua ?? {};
    return {
      ...base,
      protocol: 'opcua',
      endpoint,
      opcua: {
        ...rest,
        ...(identity ? { identity: resolveIdentity(identity, ctx.baseDir) } : {}),
        pkiDir: pkiDir !== undefined ? resolve(ctx.baseDir, pkiDir) : join(ctx.stateDir, 'pki', 'opcua'),
        trust: trust ?? DEFAULT_TRUST,
      },
    };
  },
  load: async () => {
    const { createOpcuaDriver } = await import('./index.js');
    return { create: createOpcuaDriver };
  },
};

function resolveIdentity(id: OpcuaIdentity, baseDir: string): OpcuaIdentity {
  if (id.type !== 'certificate') return id;
  return {
    ...id,
    certificateFile: resolve(baseDir, id.certificateFile),
    privateKeyFile: resolve(baseDir, id.privateKeyFile),
  };
}
