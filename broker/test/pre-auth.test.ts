/**
 * Pre-authentication resource exhaustion (issue 13, finding 3), as an attacker without a
 * password would try it, through real sockets:
 * - WebSocket: a frame announcing more than the packet limit is refused before it is buffered
 *   (the `ws` library's own limit is 100 MiB);
 * - TLS: sockets that never send a ClientHello count against maxConnections and sockets_open,
 *   and are closed after the handshake timeout;
 * - a per-address cap on open sockets, on by default;
 * - passwords: per-address and per-user back-off after failures (a gateway that logged in before
 *   is not locked out), and a bounded, fair queue of scrypt checks, so a flood of wrong passwords
 *   from one address cannot make another address's login wait behind it.
 */
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { ManualClock } from '@ganzhi/runtime';
import { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import { type CredentialStore, FileCredentialStore, type RunningBroker, startBroker } from '../src/index.js';
import { credentialsFor, endAll, silentLogger, startTestBroker, USERS } from './helpers.js';
import { makeTlsFixture } from './tls-fixture.js';

const openssl = peer('openssl', 'openssl');

const brokers: RunningBroker[] = [];
const sockets: Socket[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await endAll(...clients.splice(0));
  for (const b of brokers.splice(0)) await b.close();
});

function rawSocket(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.on('error', () => {});
    s.once('error', reject);
    sockets.push(s);
  });
}

function whenClosed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readyState === 'closed') resolve();
    else s.once('close', () => resolve());
  });
}

/** Resolves with the CONNACK return code (0 = accepted) of a login from `localAddress`. */
function connackFrom(
  b: RunningBroker,
  user: string,
  password: string,
  localAddress = '127.0.0.1',
): Promise<number> {
  return new Promise((resolve) => {
    // MQTT.js' own TCP transport cannot pick the local address: build the stream here
    const port = b.addresses.tcp?.port ?? 0;
    const c = new MqttClient(() => netConnect({ port, host: '127.0.0.1', localAddress }), {
      username: user,
      password,
      clientId: `${user}.${randomBytes(4).toString('hex')}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
    });
    clients.push(c);
    c.once('connect', () => resolve(0));
    c.once('error', (err) => resolve((err as { code?: number }).code ?? -1));
    c.once('close', () => resolve(-2));
  });
}

describe('WebSocket listener', () => {
  it('closes a connection whose frame announces more than the packet limit, before reading it (close code 1009)', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.listeners = { ws: { port: 0, host: '127.0.0.1', path: '/mqtt' } };
      cfg.limits.maxPacketBytes = 64 * 1024;
    });
    brokers.push(b);
    const s = await rawSocket(b.addresses.ws?.port ?? 0);
    let got = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
    });
    s.write(
      [
        'GET /mqtt HTTP/1.1',
        'Host: 127.0.0.1',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: mqtt',
        '',
        '',
      ].join('\r\n'),
    );
    await waitFor('101 Switching Protocols', () => got.toString('latin1').includes('\r\n\r\n') || undefined);
    expect(got.toString('latin1')).toMatch(/^HTTP\/1\.1 101/);
    got = Buffer.alloc(0);
    // RFC 6455 §5.2: FIN + binary, MASK + 127, a 64-bit length of 10 MiB, a masking key; no payload
    const header = Buffer.alloc(14);
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(10n * 1024n * 1024n, 2);
    randomBytes(4).copy(header, 10);
    s.write(header);
    await whenClosed(s);
    // the server's close frame: 0x88, length, status 1009 (message too big, RFC 6455 §7.4.1)
    expect(got[0]).toBe(0x88);
    expect(got.readUInt16BE(2)).toBe(1009);
  });
});

describe.skipIf(!openssl.ok)('TLS listener', () => {
  it('counts sockets that never send a ClientHello, refuses beyond maxConnections, and closes them after the handshake timeout', async () => {
    const tls = makeTlsFixture(tempDir('gz-preauth-tls-'));
    const b = await startTestBroker((cfg) => {
      cfg.listeners = { tls: { port: 0, host: '127.0.0.1', cert: tls.cert, key: tls.key } };
      cfg.limits.maxConnections = 3;
      cfg.limits.tlsHandshakeTimeoutMs = 300;
    });
    brokers.push(b);
    const port = b.addresses.tls?.port ?? 0;
    const silent = await Promise.all([rawSocket(port), rawSocket(port), rawSocket(port)]);
    await waitFor('three sockets counted', () => b.metrics.socketsOpen === 3 || undefined);
    expect(b.metricsText()).toMatch(/^gz_broker_sockets_open 3$/m);
    const fourth = await rawSocket(port);
    await whenClosed(fourth);
    expect(b.metrics.rejectedMaxConnections).toBe(1);
    // none of them ever sends a byte: the handshake timeout closes them
    await Promise.all(silent.map(whenClosed));
    await waitFor('sockets released', () => b.metrics.socketsOpen === 0 || undefined);
  });
});

describe('connections per address', () => {
  it('refuses sockets beyond maxConnectionsPerIp from one address, while another address still connects', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.limits.maxConnectionsPerIp = 4;
    });
    brokers.push(b);
    const port = b.addresses.tcp?.port ?? 0;
    const silent = await Promise.all([1, 2, 3, 4].map(() => rawSocket(port, '127.0.0.3')));
    await waitFor('four counted', () => b.metrics.socketsOpen === 4 || undefined);
    const fifth = await rawSocket(port, '127.0.0.3');
    await whenClosed(fifth);
    expect(b.metrics.rejectedPerIp).toBe(1);
    // another address is not affected
    expect(await connackFrom(b, 'root', 'root-password', '127.0.0.2')).toBe(0);
    // and when one of the first four goes, the address may open one again
    silent[0]?.destroy();
    await waitFor('one released', () => b.metrics.socketsOpen === 4 || undefined);
    expect(await connackFrom(b, 'root', 'root-password', '127.0.0.3')).toBe(0);
  });

  it('does not cap 127.0.0.1 and ::1 (local processes, a TLS proxy on this host) unless configured', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.limits.maxConnectionsPerIp = 2;
    });
    brokers.push(b);
    const port = b.addresses.tcp?.port ?? 0;
    await Promise.all([1, 2, 3, 4].map(() => rawSocket(port, '127.0.0.1')));
    await waitFor('four counted', () => b.metrics.socketsOpen === 4 || undefined);
    expect(b.metrics.rejectedPerIp).toBe(0);
    const strict = await startTestBroker((cfg) => {
      cfg.limits.maxConnectionsPerIp = 2;
      cfg.limits.maxConnectionsPerIpExempt = [];
    });
    brokers.push(strict);
    const p2 = strict.addresses.tcp?.port ?? 0;
    await Promise.all([1, 2].map(() => rawSocket(p2, '127.0.0.1')));
    await waitFor('two counted', () => strict.metrics.socketsOpen === 2 || undefined);
    await whenClosed(await rawSocket(p2, '127.0.0.1'));
    expect(strict.metrics.rejectedPerIp).toBe(1);
  });

  it('is on by default', async () => {
    const b = await startTestBroker();
    brokers.push(b);
    expect(b.metricsText()).toMatch(/gz_broker_connections_rejected_total\{reason="per_ip"\} 0/);
    const { DEFAULT_LIMITS } = await import('../src/index.js');
    expect(DEFAULT_LIMITS.maxConnectionsPerIp).toBeGreaterThan(0);
  });
});

/** The real credential store, with a count of the scrypt checks it starts (fault-free wrapper). */
async function countingStore(slowMs = 0) {
  const inner = new FileCredentialStore(await credentialsFor(USERS));
  let running = 0;
  const seen = { started: 0, maxConcurrent: 0 };
  const verify = inner.verify.bind(inner);
  const store: CredentialStore = {
    get size() {
      return inner.size;
    },
    byCertificate: (cn) => inner.byCertificate(cn),
    lookup: (user) => inner.lookup(user),
    verify: (user, password, opts) =>
      verify(user, password, {
        ...opts,
        schedule: async (work) => {
          const run = opts?.schedule ?? ((w: () => Promise<boolean>) => w());
          return run(async () => {
            seen.started++;
            running++;
            seen.maxConcurrent = Math.max(seen.maxConcurrent, running);
            try {
              // fault injection: each check as slow as a real scrypt (N=16384), the users' hashes
              // here being cheap ones (CHEAP_SCRYPT)
              if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
              return await work();
            } finally {
              running--;
            }
          });
        },
      }),
  };
  return { store, seen };
}

async function throttledBroker(
  tweak: (cfg: ReturnType<typeof import('../src/index.js').emptyConfig>) => void = () => {},
  slowMs = 0,
) {
  const { emptyConfig } = await import('../src/index.js');
  const { store, seen } = await countingStore(slowMs);
  const clock = new ManualClock(1_000_000);
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  cfg.limits.connectsPerSecondPerIp = 10_000;
  cfg.limits.connectBurstPerIp = 10_000;
  cfg.limits.loginBackoffAfterFailures = 3;
  tweak(cfg);
  const b = await startBroker(cfg, { logger: silentLogger, credentials: store, clock });
  brokers.push(b);
  return { b, seen, clock };
}

describe('password failures', () => {
  it('back off per address: after N failures the address waits, doubling, without a hash being computed; a remembered login still passes', async () => {
    const { b, seen, clock } = await throttledBroker();
    // a gateway that logged in before, from the attacker's address (NAT)
    expect(await connackFrom(b, 'gw-south', 'gw-south-password', '127.0.0.3')).toBe(0);
    for (let i = 0; i < 3; i++) expect(await connackFrom(b, 'ingest', `wrong-${i}`, '127.0.0.3')).toBe(4);
    const hashed = seen.started;
    // now the address waits: refused at once (CONNACK 3, try later), no scrypt
    expect(await connackFrom(b, 'root', 'wrong-again', '127.0.0.3')).toBe(3);
    expect(await connackFrom(b, 'root', 'root-password', '127.0.0.3')).toBe(3);
    expect(seen.started).toBe(hashed);
    expect(b.metrics.authBackoff).toBe(2);
    expect(b.metricsText()).toMatch(/^gz_broker_auth_backoff_total 2$/m);
    // a login the broker already verified costs no hash and is not held up
    expect(await connackFrom(b, 'gw-south', 'gw-south-password', '127.0.0.3')).toBe(0);
    // other addresses are not affected
    expect(await connackFrom(b, 'root', 'root-password', '127.0.0.4')).toBe(0);
    // after the wait (1 s after the third failure) the address may try again
    clock.advance(1_001);
    expect(await connackFrom(b, 'root', 'root-password', '127.0.0.3')).toBe(0);
  });

  it('back off per user: failures for one user from many addresses make that user wait, other users not', async () => {
    const { b, seen } = await throttledBroker();
    for (let i = 0; i < 3; i++) {
      expect(await connackFrom(b, 'ingest', `wrong-${i}`, `127.0.1.${i + 1}`)).toBe(4);
    }
    const hashed = seen.started;
    expect(await connackFrom(b, 'ingest', 'ingest-password', '127.0.1.9')).toBe(3);
    expect(seen.started).toBe(hashed);
    expect(await connackFrom(b, 'root', 'root-password', '127.0.1.9')).toBe(0);
  });

  it('hashes at most maxConcurrentPasswordChecks at once, and a flood from one address does not hold up another address’s login', async () => {
    const { b, seen } = await throttledBroker((cfg) => {
      cfg.limits.loginBackoffAfterFailures = 1000; // the flood is not stopped by the back-off here
      cfg.limits.maxConcurrentPasswordChecks = 2;
    }, 50);
    const flood = Array.from({ length: 150 }, (_, i) => connackFrom(b, 'ingest', `wrong-${i}`, '127.0.2.1'));
    await waitFor('the flood has arrived', () => (b.metrics.authBackoff >= 100 ? true : undefined));
    const legit = await connackFrom(b, 'root', 'root-password', '127.0.2.2');
    expect(legit).toBe(0);
    const codes = await Promise.all(flood);
    expect(seen.maxConcurrent).toBeLessThanOrEqual(2);
    // the flood gets two running and four waiting checks at a time; the legitimate login is hashed
    // in its turn (the order of turns: login-throttle.test.ts; the wait it saves: the abuse bench)
    expect(seen.started).toBe(codes.filter((c) => c === 4).length + 1);
    // beyond a few per address the flood is refused without hashing (CONNACK 3)
    expect(codes.filter((c) => c === 3).length).toBeGreaterThan(100);
    expect(codes.every((c) => c === 3 || c === 4)).toBe(true);
  });
});
