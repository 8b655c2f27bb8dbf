/**
 * OPC UA server certificate trust, against the simulators' real OPC UA server started with
 * chosen certificates (CA-signed, revoked, expired, self-signed; made by node-opcua-pki, see
 * support/opcua-certs.ts) and the real OPC UA driver over SignAndEncrypt:
 *
 * - strict (the default) refuses an unknown certificate, files it in rejected/ and names it;
 *   `ganzhi-agent pki trust` makes the same running driver connect at its next attempt;
 * - a CA-signed certificate is accepted when the CA is trusted and its CRL is there;
 * - revoked and expired certificates are refused in every mode;
 * - tofu pins the first certificate and refuses a replaced one loudly until the operator trusts it;
 * - auto-accept accepts an unknown certificate (explicit opt-in).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { type OpcuaServerHandle, SimDevice, startOpcuaServer, systemClock } from '@ganzhi/simulators';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { OpcuaDriver } from '../src/drivers/opcua/opcua-driver.js';
import type { TrustMode } from '../src/drivers/opcua/options.js';
import {
  addTrustedFile,
  listCertificates,
  moveCertificate,
  readPin,
} from '../src/drivers/opcua/pki-store.js';
import { context, opcuaSpec } from './helpers.js';
import {
  installServerCertificate,
  makeServerCertificates,
  type ServerCertificates,
} from './support/opcua-certs.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const profile = ProfileRegistry.builtin().get('pump-station-opcua')!;
const dir = tempDir('ganzhi-agent-opcua-trust-');
const device = new SimDevice({ id: 'ps-1', profile, clock: systemClock });
const thumbprintOf = (file: string) => new X509Certificate(readFileSync(file)).fingerprint;

let certs: ServerCertificates;
let server: OpcuaServerHandle | undefined;
const drivers: OpcuaDriver[] = [];
let n = 0;

beforeAll(async () => {
  certs = await makeServerCertificates(join(dir, 'certs'));
}, 120_000);
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await server?.close();
});

/** Starts the simulator's OPC UA server with this certificate (SignAndEncrypt only). */
async function serve(certificate: string, port = 0): Promise<OpcuaServerHandle> {
  const pkiDir = join(dir, `sim-${++n}`);
  installServerCertificate(pkiDir, certificate, certs.key);
  server = await startOpcuaServer({
    port,
    devices: [device],
    pkiDir,
    tickMs: 100,
    security: { modes: ['SignAndEncrypt'], allowAnonymous: true },
  });
  return server;
}

/** A client certificate folder of its own, with what the operator put in it. */
function clientPki(name: string, setup: { trust?: string[]; crl?: boolean } = {}): string {
  const pki = join(dir, `client-${name}`);
  for (const f of setup.trust ?? []) addTrustedFile(pki, f);
  if (setup.crl) {
    mkdirSync(join(pki, 'trusted', 'crl'), { recursive: true });
    copyFileSync(certs.crl, join(pki, 'trusted', 'crl', 'plant-ca.crl'));
  }
  return pki;
}

function driver(pkiDir: string, trust: TrustMode, logs?: string[]): OpcuaDriver {
  const logger = logs
    ? pino({ level: 'info' }, { write: (line: string) => void logs.push(line) })
    : context().logger;
  const d = new OpcuaDriver(
    opcuaSpec(
      server!.endpointUrl,
      {
        mode: 'poll',
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
        namespaceUri: 'urn:ganzhi:pump-station/ps-1',
        pkiDir,
        trust,
      },
      { id: 'ps-1', profile, points: profile.points, pollIntervalMs: 200, timeoutMs: 3000 },
    ),
    context({ random: () => 0, logger }),
  );
  drivers.push(d);
  return d;
}

async function readUntil(d: OpcuaDriver, ok: (rs: DriverReading[]) => boolean, what: string, ms = 40_000) {
  let last: DriverReading[] = [];
  await waitFor(
    what,
    async () => {
      last = await d.read();
      return ok(last) || undefined;
    },
    ms,
    200,
  );
  return last;
}

const good = (rs: DriverReading[]) => rs.some((r) => r.point === 'flow' && r.quality === 'good');

/** Connecting fails; returns the device's lastError (every reading carries it too). */
async function refused(d: OpcuaDriver): Promise<string> {
  await expect(d.connect()).rejects.toThrow();
  const rs = await d.read();
  const lastError = d.status().lastError ?? '';
  expect(rs.every((r) => r.quality === 'bad' && r.reason === lastError)).toBe(true);
  expect(d.status().state).toBe('down');
  return lastError;
}

describe('OPC UA server certificate trust', () => {
  it('strict: an unknown certificate is refused, filed in rejected/ and named; `pki trust` takes effect without a restart', async () => {
    await serve(certs.selfSigned);
    const pki = clientPki('strict');
    const d = driver(pki, 'strict');
    const thumb = thumbprintOf(certs.selfSigned);
    expect(await refused(d)).toBe(
      `certificate: server certificate CN=plant-opcua-self (SHA-1 ${thumb}) is not trusted: filed in ${pki}/rejected; ` +
        `if it is the server's, trust it with: ganzhi-agent pki trust ${thumb}`,
    );
    expect(
      listCertificates(pki)
        .filter((c) => c.store === 'rejected')
        .map((c) => c.thumbprint),
    ).toEqual([thumb]);
    // the operator compares the thumbprint with the server's and trusts it: the same driver, no restart
    const r = await promisify(execFile)(
      process.execPath,
      [cli, 'pki', 'trust', thumb.toLowerCase(), '--pki-dir', pki],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stdout).toContain(`trusted CN=plant-opcua-self (SHA-1 ${thumb})`);
    await readUntil(d, good, 'good readings after pki trust');
    expect(d.status()).toMatchObject({ state: 'up' });
    expect(d.status().lastError).toBeUndefined();
  }, 90_000);

  it('a CA-signed certificate is accepted when the CA is trusted and its CRL is present; without the CRL it is refused, saying so', async () => {
    await serve(certs.caSigned);
    const pki = clientPki('ca', { trust: [certs.caCert] });
    const d = driver(pki, 'strict');
    expect(await refused(d)).toMatch(
      /^certificate: server certificate CN=plant-opcua \(SHA-1 [0-9A-F:]{59}\): the revocation list \(CRL\) of its issuer CN=Ganzhi Test Plant CA is missing, .*issuers\/crl/,
    );
    mkdirSync(join(pki, 'trusted', 'crl'), { recursive: true });
    copyFileSync(certs.crl, join(pki, 'trusted', 'crl', 'plant-ca.crl'));
    await readUntil(d, good, 'good readings once the CRL is there');
  }, 90_000);

  it('a revoked certificate is refused, also with auto-accept', async () => {
    await serve(certs.revoked);
    const thumb = thumbprintOf(certs.revoked);
    for (const mode of ['strict', 'auto-accept'] as const) {
      const d = driver(clientPki(`revoked-${mode}`, { trust: [certs.caCert], crl: true }), mode);
      expect(await refused(d)).toBe(
        `certificate: server certificate CN=plant-opcua (SHA-1 ${thumb}) is revoked (in the CRL of CN=Ganzhi Test Plant CA)`,
      );
    }
  }, 90_000);

  it('expired certificates are refused in every mode, even when trusted', async () => {
    await serve(certs.caExpired);
    const caExpired = await refused(
      driver(clientPki('ca-expired', { trust: [certs.caCert], crl: true }), 'strict'),
    );
    expect(caExpired).toMatch(
      /^certificate: server certificate CN=plant-opcua \(SHA-1 [0-9A-F:]+\) is expired: valid .+ to .+, gateway clock /,
    );
    await server!.close();
    await serve(certs.selfExpired);
    for (const mode of ['strict', 'tofu', 'auto-accept'] as const) {
      const pki = clientPki(`self-expired-${mode}`, { trust: [certs.selfExpired] });
      expect(await refused(driver(pki, mode))).toMatch(
        /CN=plant-opcua-old \(SHA-1 [0-9A-F:]+\) is expired: /,
      );
      expect(readPin(pki, 'ps-1')).toBeUndefined();
    }
  }, 120_000);

  it('tofu pins the first certificate and refuses a replaced one loudly, until the operator trusts it', async () => {
    const first = await serve(certs.selfSigned);
    const pki = clientPki('tofu');
    const logs: string[] = [];
    const d = driver(pki, 'tofu', logs);
    await d.connect();
    await readUntil(d, good, 'good readings from the pinned server');
    const thumb1 = thumbprintOf(certs.selfSigned);
    expect(readPin(pki, 'ps-1')).toMatchObject({ thumbprint: thumb1, subject: 'CN=plant-opcua-self' });
    // the same address now presents another certificate
    await first.close();
    await serve(certs.selfSigned2, first.port);
    const thumb2 = thumbprintOf(certs.selfSigned2);
    const down = await readUntil(
      d,
      (rs) => rs.every((r) => r.reason?.startsWith('certificate: ')),
      'refusal',
    );
    expect(down[0]?.reason).toContain(
      `server certificate CN=plant-opcua-replaced (SHA-1 ${thumb2}) is not the certificate pinned on `,
    );
    expect(down[0]?.reason).toContain(
      `(CN=plant-opcua-self, SHA-1 ${thumb1}): refused, the server may be impersonated`,
    );
    const alarms = logs.map((l) => JSON.parse(l)).filter((l) => l.level === 50);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      server: `CN=plant-opcua-replaced (SHA-1 ${thumb2})`,
      msg: expect.stringContaining('is not the certificate pinned'),
    });
    expect(
      listCertificates(pki)
        .filter((c) => c.store === 'rejected')
        .map((c) => c.thumbprint),
    ).toEqual([thumb2]);
    expect(readPin(pki, 'ps-1')?.thumbprint).toBe(thumb1);
    // the renewal was expected: the operator trusts the new certificate; it replaces the pin
    expect(moveCertificate(pki, thumb2, 'trusted')?.store).toBe('trusted');
    await readUntil(d, good, 'good readings after the operator trusted the new certificate');
    expect(readPin(pki, 'ps-1')?.thumbprint).toBe(thumb2);
  }, 120_000);

  it('auto-accept (explicit) accepts an unknown certificate and files it in trusted/', async () => {
    await serve(certs.selfSigned);
    const pki = clientPki('auto');
    const d = driver(pki, 'auto-accept');
    await d.connect();
    await readUntil(d, good, 'good readings');
    expect(listCertificates(pki).map((c) => [c.store, c.thumbprint])).toEqual([
      ['trusted', thumbprintOf(certs.selfSigned)],
    ]);
  }, 90_000);
});
