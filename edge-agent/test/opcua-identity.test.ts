/**
 * OPC UA X509 user identity (`opcua.identity: {type: certificate, certificateFile,
 * privateKeyFile}`) against the simulator's OPC UA server, which trusts exactly one user
 * certificate. Throwaway RSA certificates are made with Debian openssl in a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { type OpcuaServerHandle, SimDevice, startOpcuaServer, systemClock } from '@ganzhi/simulators';
import { setWarningLogger } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { tempDir } from '../../test-support/process.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { OpcuaDriver } from '../src/drivers/opcua/opcua-driver.js';
import { context, opcuaSpec } from './helpers.js';

const openssl = peer('openssl', 'openssl');
const profile = ProfileRegistry.builtin().get('pump-station-opcua')!;

/** A self-signed RSA user certificate (OPC UA's Basic256Sha256 token signature needs RSA). */
function userCertificate(dir: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.pem`);
  const key = join(dir, `${cn}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

describe.skipIf(!openssl.ok)('OPC UA X509 user identity', () => {
  const dir = tempDir('ganzhi-agent-opcua-x509-');
  let server: OpcuaServerHandle;
  let known: { cert: string; key: string };
  let unknown: { cert: string; key: string };
  const device = new SimDevice({
    id: 'ps-1',
    profile,
    clock: systemClock,
    signals: { flow: { kind: 'ramp', from: 10, to: 90, periodMs: 10_000 } },
  });

  beforeAll(async () => {
    known = userCertificate(dir, 'ganzhi-gw-01');
    unknown = userCertificate(dir, 'intruder');
    server = await startOpcuaServer({
      port: 0,
      devices: [device],
      pkiDir: join(dir, 'server-pki'),
      tickMs: 100,
      security: {
        modes: ['SignAndEncrypt'],
        userCertificates: [readFileSync(known.cert, 'utf8')],
        users: [{ username: 'ops', password: 'right-pw' }],
      },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  const driver = (identity: { cert: string; key: string }, id = 'ps-1', pkiDir = join(dir, 'client-pki')) =>
    new OpcuaDriver(
      opcuaSpec(
        server.endpointUrl,
        {
          mode: 'poll',
          securityMode: 'SignAndEncrypt',
          securityPolicy: 'Basic256Sha256',
          namespaceUri: 'urn:ganzhi:pump-station/ps-1',
          pkiDir,
          identity: { type: 'certificate', certificateFile: identity.cert, privateKeyFile: identity.key },
        },
        { id, profile, points: profile.points, pollIntervalMs: 200, timeoutMs: 3000 },
      ),
      context(),
    );

  it('the trusted certificate opens a session and the readings are good, as served', async () => {
    const d = driver(known);
    try {
      await d.connect();
      const rs: DriverReading[] = await d.read();
      const flow = rs.find((r) => r.point === 'flow');
      expect(flow?.quality, JSON.stringify(flow)).toBe('good');
      // the value is the one the simulator served at that source time (a ramp: it differs per tick)
      expect(flow!.value as number).toBeCloseTo(device.valueAt('flow', flow!.ts) as number, 6);
      expect(d.status().state).toBe('up');
    } finally {
      await d.close();
    }
  });

  it('an unknown certificate is refused: the device is down with a clear lastError and no key material', async () => {
    const d = driver(unknown);
    try {
      await expect(d.connect()).rejects.toThrow();
      const rs = await d.read();
      expect(rs.length).toBeGreaterThan(0);
      expect(rs.every((r) => r.quality === 'bad')).toBe(true);
      const st = d.status();
      expect(st.state).toBe('down');
      expect(st.lastError).toMatch(/BadIdentityTokenRejected/);
      expect(st.lastError).toMatch(
        /^connection: server refused certificate CN=intruder \(SHA-1 [0-9A-F:]+\): BadIdentityTokenRejected/,
      );
      const key = readFileSync(unknown.key, 'utf8');
      const keyBody = key.split('\n')[1]!;
      for (const text of [st.lastError!, ...rs.map((r) => r.reason ?? '')]) {
        expect(text).not.toContain('PRIVATE KEY');
        expect(text).not.toContain(keyBody.slice(0, 24));
      }
      expect(rs[0]?.reason).toBe(st.lastError);
    } finally {
      await d.close();
    }
  });

  it('unusable identity files (missing, not a key, key of another certificate, expired) fail before connecting, named', async () => {
    // re-signed with its own key, valid until yesterday
    const expired = join(dir, 'expired.pem');
    execFileSync(
      'openssl',
      ['x509', '-in', known.cert, '-signkey', known.key, '-days', '-1', '-out', expired],
      {
        stdio: 'ignore',
      },
    );
    const missing = driver({ cert: join(dir, 'missing.pem'), key: known.key });
    const mismatched = driver({ cert: known.cert, key: unknown.key });
    const notKey = driver({ cert: known.cert, key: known.cert });
    const old = driver({ cert: expired, key: known.key });
    try {
      await expect(missing.connect()).rejects.toThrow();
      await missing.read();
      expect(missing.status()).toMatchObject({
        state: 'down',
        lastError: `identity: cannot read certificateFile ${join(dir, 'missing.pem')} (ENOENT)`,
      });
      await expect(notKey.connect()).rejects.toThrow();
      await notKey.read();
      expect(notKey.status().lastError).toBe(
        `identity: privateKeyFile ${known.cert} holds no unencrypted PEM private key`,
      );
      await expect(old.connect()).rejects.toThrow();
      await old.read();
      expect(old.status().lastError).toMatch(
        /^identity: certificate CN=ganzhi-gw-01 \(SHA-1 [0-9A-F:]+\) is valid only from .+ to .+ \(gateway clock 20\d\d-/,
      );
      await expect(mismatched.connect()).rejects.toThrow();
      const rs = await mismatched.read();
      expect(rs.every((r) => r.quality === 'bad' && r.reason === mismatched.status().lastError)).toBe(true);
      expect(mismatched.status().lastError).toMatch(
        new RegExp(
          `^identity: privateKeyFile ${unknown.key} is not the key of certificate CN=ganzhi-gw-01 \\(SHA-1 [0-9A-F:]+\\) in ${known.cert}$`,
        ),
      );
    } finally {
      await Promise.all([missing, mismatched, notKey, old].map((d) => d.close()));
    }
  });

  it('devices sharing the gateway client certificate all present the application URI it names', async () => {
    const warnings: string[] = [];
    setWarningLogger((_ctx, ...args) => warnings.push(format(...args)));
    const pkiDir = join(dir, 'shared-pki');
    const a = driver(known, 'pump-a', pkiDir);
    const b = driver(known, 'pump-b', pkiDir);
    try {
      await a.connect(); // creates the client certificate
      await b.connect(); // reuses it
      expect((await b.read()).every((r) => r.quality === 'good')).toBe(true);
      const own = new X509Certificate(readFileSync(join(pkiDir, 'own/certs/client_certificate.pem')));
      expect(own.subjectAltName).toMatch(/URI:urn:ganzhi:agent:/);
      // node-opcua warns (W06) when the certificate's URI is not the client's ApplicationUri;
      // strict servers refuse such a client with BadCertificateUriInvalid
      expect(warnings.filter((w) => /subjectAltName does not match/.test(w))).toEqual([]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a wrong password names the user, not the password', async () => {
    const d = new OpcuaDriver(
      opcuaSpec(
        server.endpointUrl,
        {
          mode: 'poll',
          securityMode: 'SignAndEncrypt',
          namespaceUri: 'urn:ganzhi:pump-station/ps-1',
          pkiDir: join(dir, 'client-pki'),
          identity: { type: 'username', username: 'ops', password: 'wrong-pw' },
        },
        { id: 'ps-1', profile, points: profile.points, timeoutMs: 3000 },
      ),
      context(),
    );
    try {
      await expect(d.connect()).rejects.toThrow();
      await d.read();
      expect(d.status().lastError).toBe(
        'connection: server refused user "ops": BadUserAccessDenied (0x801f0000)',
      );
    } finally {
      await d.close();
    }
  });
});
