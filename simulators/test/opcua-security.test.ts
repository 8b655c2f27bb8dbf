/**
 * OPC-UA simulator security: None and Basic256Sha256 Sign / SignAndEncrypt endpoints,
 * username/password identities, anonymous refused when users are configured, and the
 * PKI kept inside the folder the simulator was given.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttributeIds,
  type EndpointDescription,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { type OpcuaServerHandle, simNodeId, startOpcuaServer } from '../src/opcua/index.js';
import { connectClient, type Mode, resolveNsu } from './opcua-client.js';
import { FakePointSource, pumpProfile } from './opcua-fixtures.js';

const dir = tempDir('ganzhi-opcua-sec-');
const pkiDir = join(dir, 'pki');
const device = new FakePointSource('ps-07', pumpProfile, 0);
const operator = { username: 'operator', password: 'correct horse battery staple' };
let server: OpcuaServerHandle;

beforeAll(async () => {
  server = await startOpcuaServer({
    port: 0,
    devices: [device],
    security: { modes: ['None', 'Sign', 'SignAndEncrypt'], users: [operator] },
    pkiDir,
    tickMs: 1000,
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OPC-UA simulator security', () => {
  it('offers None, and Basic256Sha256 with Sign and SignAndEncrypt, username tokens only', async () => {
    const clientCertificateManager = new OPCUACertificateManager({
      rootFolder: join(dir, 'client-discovery'),
      disableFileWatchers: true,
    });
    const client = OPCUAClient.create({
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0 },
      clientCertificateManager,
    });
    let endpoints: EndpointDescription[];
    try {
      await client.connect(server.endpointUrl);
      endpoints = await client.getEndpoints();
    } finally {
      await client.disconnect();
      await clientCertificateManager.dispose();
    }
    const offered = endpoints.map(
      (e) => `${MessageSecurityMode[e.securityMode]} ${e.securityPolicyUri?.split('#')[1]}`,
    );
    expect(offered.sort()).toEqual(['None None', 'Sign Basic256Sha256', 'SignAndEncrypt Basic256Sha256']);
    for (const e of endpoints) {
      const tokens = (e.userIdentityTokens ?? []).map((t) => t.tokenType);
      expect(tokens).not.toContain(0); // Anonymous
      expect(tokens).toContain(1); // UserName
    }
  });

  it.each<Mode>(['None', 'Sign', 'SignAndEncrypt'])(
    'lets the operator in over %s and serves values',
    async (mode) => {
      const c = await connectClient(server.endpointUrl, dir, {
        mode,
        user: operator,
      });
      try {
        const dv = await c.session.read({
          nodeId: await resolveNsu(c.session, simNodeId(device, 'speed')),
          attributeId: AttributeIds.Value,
        });
        expect(dv.statusCode.isGood()).toBe(true);
        const truth = device.sampleAt('speed', dv.sourceTimestamp?.getTime() ?? 0);
        expect(dv.value.value).toBe(truth?.value);
        expect(c.client.securityMode).toBe(MessageSecurityMode[mode]);
        expect(c.client.securityPolicy).toBe(
          mode === 'None' ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
        );
      } finally {
        await c.close();
      }
    },
  );

  it('rejects a wrong password', async () => {
    await expect(
      connectClient(server.endpointUrl, dir, {
        mode: 'SignAndEncrypt',
        user: { username: operator.username, password: 'wrong' },
      }),
    ).rejects.toThrow(/BadUserAccessDenied/);
  });

  it('rejects an unknown user with the right password', async () => {
    await expect(
      connectClient(server.endpointUrl, dir, {
        mode: 'Sign',
        user: { username: 'root', password: operator.password },
      }),
    ).rejects.toThrow(/BadUserAccessDenied/);
  });

  it('rejects anonymous sessions when users are configured', async () => {
    await expect(connectClient(server.endpointUrl, dir, { mode: 'None' })).rejects.toThrow(
      /BadIdentityToken|BadUserAccessDenied|anonymous/i,
    );
  });

  it('keeps its certificate, key and trust lists inside pkiDir', () => {
    expect(existsSync(join(pkiDir, 'server', 'own', 'certs', 'certificate.pem'))).toBe(true);
    expect(readdirSync(join(pkiDir, 'server', 'own', 'private'))).not.toHaveLength(0);
    // the clients that connected with Sign/SignAndEncrypt were accepted into the server's trust list
    expect(readdirSync(join(pkiDir, 'server', 'trusted', 'certs')).length).toBeGreaterThan(0);
  });
});
