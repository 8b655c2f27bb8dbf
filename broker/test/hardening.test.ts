/**
 * Issue 13, finding 7 (the broker's parts): an explicit forward-secret TLS cipher list; the sample
 * config opens TLS, not plaintext, for remote clients, and the broker warns loudly when passwords
 * can cross a plaintext listener on a non-loopback address; a password typed into the user-name
 * field is never logged as text; limits.maxClientIdLength is enforced; the HTTP API answers only to
 * the host names it is configured for (DNS rebinding).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { peer } from '../../test-support/peers.js';
import { tempDir } from '../../test-support/process.js';
import { emptyConfig, FileCredentialStore, type RunningBroker, startBroker } from '../src/index.js';
import { capturingLogger, connect, credentialsFor, startTestBroker, tcpUrl, USERS } from './helpers.js';
import { connectPacket, RawClient } from './raw-client.js';
import { makeTlsFixture } from './tls-fixture.js';

const openssl = peer('openssl', 'openssl');

const brokers: RunningBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

describe.skipIf(!openssl.ok)('TLS', () => {
  /** Resolves with the negotiated cipher, or the handshake error's message. */
  function handshake(
    port: number,
    ca: string,
    opts: {
      ciphers?: string;
      maxVersion?: 'TLSv1.2' | 'TLSv1.1' | 'TLSv1.3';
      minVersion?: 'TLSv1' | 'TLSv1.1';
    },
  ) {
    return new Promise<string>((resolve) => {
      const s = tlsConnect(
        { port, host: '127.0.0.1', ca: readFileSync(ca), servername: 'localhost', ...opts },
        () => {
          const c = s.getCipher().name;
          s.end();
          resolve(c);
        },
      );
      s.on('error', (err) => resolve(`error: ${err.message}`));
    });
  }

  it('TLS 1.2 offers only forward-secret AEAD suites; TLS 1.1 and static-RSA or CBC suites are refused', async () => {
    const tls = makeTlsFixture(tempDir('gz-hard-tls-'));
    const b = await startTestBroker((cfg) => {
      cfg.listeners = { tls: { port: 0, host: '127.0.0.1', cert: tls.cert, key: tls.key } };
    });
    brokers.push(b);
    const port = b.addresses.tls?.port ?? 0;
    // the fixture's key is EC: ECDHE-ECDSA suites
    expect(
      await handshake(port, tls.ca, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
    ).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
    // CBC, even with ECDHE: refused
    for (const ciphers of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384']) {
      expect([ciphers, await handshake(port, tls.ca, { maxVersion: 'TLSv1.2', ciphers })]).toEqual([
        ciphers,
        expect.stringMatching(/^error: /),
      ]);
    }
    expect(
      await handshake(port, tls.ca, {
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      }),
    ).toMatch(/^error: /);
    expect(await handshake(port, tls.ca, {})).toMatch(/^TLS_/); // TLS 1.3 by default
  });

  it('with an RSA key: RSA key exchange (no forward secrecy) is refused, ECDHE-RSA accepted', async () => {
    const tls = makeTlsFixture(tempDir('gz-hard-rsa-'));
    const rsa = tls.rsaServer();
    const b = await startTestBroker((cfg) => {
      cfg.listeners = { tls: { port: 0, host: '127.0.0.1', cert: rsa.cert, key: rsa.key } };
    });
    brokers.push(b);
    const port = b.addresses.tls?.port ?? 0;
    for (const ciphers of [
      'AES128-GCM-SHA256',
      'AES256-GCM-SHA384',
      'AES128-SHA256',
      'DHE-RSA-AES128-GCM-SHA256',
    ]) {
      expect([ciphers, await handshake(port, tls.ca, { maxVersion: 'TLSv1.2', ciphers })]).toEqual([
        ciphers,
        expect.stringMatching(/^error: /),
      ]);
    }
    expect(
      await handshake(port, tls.ca, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' }),
    ).toBe('ECDHE-RSA-AES256-GCM-SHA384');
  });
});

describe('plaintext and passwords', () => {
  it('the sample config listens for remote clients with TLS only; plaintext TCP stays on loopback', () => {
    const sample = parse(
      readFileSync(fileURLToPath(new URL('../config.sample.yaml', import.meta.url)), 'utf8'),
    ) as { listeners: Record<string, { host?: string }> };
    const loopback = (h: string | undefined) => h === undefined || /^127\.|^::1$|^localhost$/.test(h);
    expect(loopback(sample.listeners.tcp?.host)).toBe(true);
    expect(sample.listeners.tls).toBeDefined();
    expect(loopback(sample.listeners.tls?.host)).toBe(false);
    expect(sample.listeners.ws === undefined || loopback(sample.listeners.ws.host)).toBe(true);
  });

  it('warns loudly when passwords can cross a plaintext listener on a non-loopback address', async () => {
    const { logger, lines } = capturingLogger();
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '0.0.0.0' };
    cfg.listeners.ws = { port: 0, host: '127.0.0.1', path: '/mqtt' };
    const credentials = new FileCredentialStore(await credentialsFor(USERS));
    const b = await startBroker(cfg, { logger, credentials });
    brokers.push(b);
    const warnings = lines.filter((l) => l.security === 'plaintext_listener');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 50, listener: 'tcp', host: '0.0.0.0' });
    expect(String(warnings[0]?.msg)).toMatch(/plaintext/);

    // loopback-only plaintext: no warning
    const quiet = capturingLogger();
    const cfg2 = emptyConfig();
    cfg2.listeners.tcp = { port: 0, host: '127.0.0.1' };
    brokers.push(await startBroker(cfg2, { logger: quiet.logger, credentials }));
    expect(quiet.lines.filter((l) => l.security === 'plaintext_listener')).toEqual([]);
  });

  it('never logs a user name that is not a user (it may be a password typed into the wrong field)', async () => {
    const { logger, lines, text } = capturingLogger('debug');
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
    const credentials = new FileCredentialStore(await credentialsFor(USERS));
    const b = await startBroker(cfg, { logger, credentials });
    brokers.push(b);
    const typedPassword = 'Tr0ub4dor&3-horse';
    await expect(
      connect(tcpUrl(b), { username: typedPassword, password: 'gw-north-password', clientId: 'gw-north' }),
    ).rejects.toThrow();
    // a known user with a wrong password is named (it is not a secret)
    await expect(
      connect(tcpUrl(b), { username: 'gw-north', password: 'nope', clientId: 'gw-north' }),
    ).rejects.toThrow();
    expect(text()).not.toContain(typedPassword);
    expect(text()).not.toContain('gw-north-password');
    expect(text()).not.toContain('"nope"');
    const failures = lines.filter((l) => l.security === 'auth_failure');
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({
      claimedUser: { sha256: expect.stringMatching(/^[0-9a-f]{12}$/), length: typedPassword.length },
    });
    expect(failures[0]).not.toHaveProperty('user');
    expect(failures[1]).toMatchObject({ user: 'gw-north' });
  });
});

describe('client id length', () => {
  it('refuses a client id longer than limits.maxClientIdLength with CONNACK 2 (a 65,535-byte id was accepted)', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.allowAnonymous = true;
    });
    brokers.push(b);
    const port = b.addresses.tcp?.port ?? 0;
    for (const [id, code] of [
      ['x'.repeat(65_535), 2],
      ['x'.repeat(257), 2],
      ['x'.repeat(256), 0],
    ] as const) {
      const raw = await RawClient.open(port);
      raw.send(connectPacket({ clientId: id }));
      const connack = (await raw.next('connack')) as { returnCode: number } | undefined;
      expect([id.length, connack?.returnCode]).toEqual([id.length, code]);
      await raw.destroy();
    }
  });
});

describe('HTTP API host check (DNS rebinding)', () => {
  function get(port: number, path: string, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.on('error', reject);
      r.end();
    });
  }

  it('answers loopback names and configured names, and refuses any other Host header', async () => {
    const { logger, lines } = capturingLogger();
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
    cfg.allowAnonymous = true;
    cfg.http = { port: 0, host: '127.0.0.1', allowedHosts: ['broker.city.internal'] };
    const b = await startBroker(cfg, { logger });
    brokers.push(b);
    const port = b.addresses.http?.port ?? 0;
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      'localhost',
      `[::1]:${port}`,
      'broker.city.internal:9090',
    ]) {
      expect([host, await get(port, '/metrics', host)]).toEqual([host, 200]);
    }
    for (const host of [
      'attacker.example',
      `attacker.example:${port}`,
      '10.0.0.7',
      'broker.city.internal.attacker.example',
    ]) {
      for (const path of ['/metrics', '/api/clients', '/healthz']) {
        expect([host, path, await get(port, path, host)]).toEqual([host, path, 403]);
      }
    }
    expect(lines.some((l) => l.security === 'http_host_refused' && l.what === 'attacker.example')).toBe(true);
  });
});
