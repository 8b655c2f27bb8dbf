/**
 * Interop with the Eclipse clients (Debian mosquitto-clients): username/password, TLS, client
 * certificates, QoS 0/1/2, retained messages and wills.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { RunningBroker } from '../src/index.js';
import { collect, endAll, login, startTestBroker, subscribe, USERS } from './helpers.js';
import { makeTlsFixture, type TlsFixture } from './tls-fixture.js';

const pub = peer('mosquitto_pub', 'mosquitto-clients');
const sub = peer('mosquitto_sub', 'mosquitto-clients');
const openssl = peer('openssl', 'openssl');

let broker: RunningBroker;
let tls: TlsFixture;
let port: number;
let tlsPort: number;

function run(bin: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

interface Sub {
  child: ChildProcess;
  lines(): string[];
  done: Promise<number>;
}

/** Starts mosquitto_sub and resolves once the broker shows its subscription. */
async function startSub(clientId: string, args: string[]): Promise<Sub> {
  // the last -i wins: the id given here, bound to the user `args` log in as
  const child = spawn(sub.path, [...args, '-i', clientId, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  await waitFor(`${clientId} subscribed`, () =>
    broker.clients().some((c) => c.clientId === clientId && c.subscriptions.length > 0),
  );
  return { child, lines: () => out.split('\n').filter(Boolean), done };
}

let ids = 0;
/** User, password and a client id the broker binds to that user (`<user>.<n>`). */
const auth = (user: string) => ['-u', user, '-P', `${user}-password`, '-i', `${user}.${++ids}`];

describe.skipIf(!pub.ok || !sub.ok || !openssl.ok)('mosquitto-clients interop', () => {
  beforeAll(async () => {
    tls = makeTlsFixture(tempDir('ganzhi-broker-tls-'));
    broker = await startTestBroker(
      (cfg) => {
        cfg.listeners.tls = { port: 0, host: '127.0.0.1', cert: tls.cert, key: tls.key, ca: tls.ca };
      },
      { ...USERS, 'gw-cert': { role: 'gateway', district: 'north', gateway: 'gw-cert' } },
    );
    port = broker.addresses.tcp?.port ?? 0;
    tlsPort = broker.addresses.tls?.port ?? 0;
  });
  afterAll(async () => {
    await broker?.close();
  });

  it.each([0, 1, 2])('delivers QoS %i from mosquitto_pub to mosquitto_sub with passwords', async (qos) => {
    const s = await startSub(`ganzhi-ingest-sub-q${qos}`, [
      '-p',
      String(port),
      ...auth('ingest'),
      '-t',
      'gz/v1/+/+/+/data',
      '-q',
      String(qos),
      '-C',
      '3',
      '-W',
      '10',
    ]);
    for (let i = 0; i < 3; i++) {
      const r = await run(pub.path, [
        '-p',
        String(port),
        ...auth('gw-north'),
        '-t',
        'gz/v1/north/gw-north/pm1/data',
        '-q',
        String(qos),
        '-m',
        `m${i}`,
      ]);
      expect(r.code).toBe(0);
    }
    expect(await s.done).toBe(0);
    expect(s.lines()).toEqual([0, 1, 2].map((i) => `gz/v1/north/gw-north/pm1/data m${i}`));
  });

  it('refuses a bad password and a cross-district publish', async () => {
    const bad = await run(pub.path, [
      '-p',
      String(port),
      '-u',
      'gw-north',
      '-P',
      'wrong',
      '-t',
      'x',
      '-m',
      'x',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/bad user name or password/i);
    const s = await startSub('root.sub-cross', [
      '-p',
      String(port),
      ...auth('root'),
      '-t',
      'gz/v1/#',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    await run(pub.path, [
      '-p',
      String(port),
      ...auth('gw-north'),
      '-t',
      'gz/v1/south/gw-south/pm1/data',
      '-q',
      '1',
      '-m',
      'cross',
    ]);
    await run(pub.path, [
      '-p',
      String(port),
      ...auth('gw-north'),
      '-t',
      'gz/v1/north/gw-north/pm1/data',
      '-q',
      '1',
      '-m',
      'own',
    ]);
    expect(await s.done).toBe(0);
    expect(s.lines()).toEqual(['gz/v1/north/gw-north/pm1/data own']);
  });

  it('keeps retained messages for later subscribers', async () => {
    const r = await run(pub.path, [
      '-p',
      String(port),
      ...auth('gw-north'),
      '-t',
      'gz/v1/north/gw-north/pm2/status',
      '-q',
      '1',
      '-r',
      '-m',
      'up',
    ]);
    expect(r.code).toBe(0);
    const got = await run(sub.path, [
      '-p',
      String(port),
      ...auth('viewer-north'),
      '-t',
      'gz/v1/north/+/pm2/status',
      '-C',
      '1',
      '-W',
      '10',
      '-v',
    ]);
    expect(got.out.trim()).toBe('gz/v1/north/gw-north/pm2/status up');
  });

  it('publishes the will of a mosquitto client that dies', async () => {
    const watcher = await login(broker, 'ingest');
    const seen = collect(watcher);
    await subscribe(watcher, 'gz/v1/+/+/state');
    const dying = await startSub('gz-north-gw-north', [
      '-p',
      String(port),
      ...auth('gw-north'),
      '-t',
      'gz/v1/north/gw-north/cmd',
      '-k',
      '5',
      '--will-topic',
      'gz/v1/north/gw-north/state',
      '--will-payload',
      'offline',
      '--will-qos',
      '1',
    ]);
    dying.child.kill('SIGKILL');
    await dying.done;
    await seen.until(1);
    expect(seen.got[0]).toMatchObject({ topic: 'gz/v1/north/gw-north/state', payload: 'offline' });
    await endAll(watcher);
  });

  it('speaks TLS with passwords', async () => {
    const s = await startSub('ganzhi-ingest-sub-tls', [
      '-p',
      String(tlsPort),
      '-h',
      '127.0.0.1',
      '--cafile',
      tls.ca,
      ...auth('ingest'),
      '-t',
      'gz/v1/+/+/+/data',
      '-q',
      '1',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    const r = await run(pub.path, [
      '-p',
      String(tlsPort),
      '-h',
      '127.0.0.1',
      '--cafile',
      tls.ca,
      ...auth('gw-north'),
      '-t',
      'gz/v1/north/gw-north/pm1/data',
      '-q',
      '2',
      '-m',
      'over-tls',
    ]);
    expect(r.code).toBe(0);
    expect(await s.done).toBe(0);
    expect(s.lines()).toEqual(['gz/v1/north/gw-north/pm1/data over-tls']);
  });

  it('names the gateway by its client certificate CN, with the same ACL', async () => {
    const gwCert = tls.client('gw-cert');
    const stranger = tls.client('not-a-user');
    const s = await startSub('ganzhi-ingest-sub-cert', [
      '-p',
      String(port),
      ...auth('ingest'),
      '-t',
      'gz/v1/+/+/+/data',
      '-q',
      '1',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    const tlsArgs = (c: { cert: string; key: string }, id = 'gz-north-gw-cert') => [
      '-i',
      id,
      '-p',
      String(tlsPort),
      '-h',
      '127.0.0.1',
      '--cafile',
      tls.ca,
      '--cert',
      c.cert,
      '--key',
      c.key,
    ];
    const denied = await run(pub.path, [
      ...tlsArgs(gwCert),
      '-t',
      'gz/v1/north/gw-north/pm1/data',
      '-q',
      '1',
      '-m',
      'not-mine',
    ]);
    expect(denied.code).not.toBe(0);
    const unknown = await run(pub.path, [
      ...tlsArgs(stranger),
      '-t',
      'gz/v1/north/not-a-user/pm1/data',
      '-q',
      '1',
      '-m',
      'stranger',
    ]);
    expect(unknown.out).toMatch(/not authori[sz]ed/i);
    const ok = await run(pub.path, [
      ...tlsArgs(gwCert),
      '-t',
      'gz/v1/north/gw-cert/pm1/data',
      '-q',
      '1',
      '-m',
      'by-cert',
    ]);
    expect(ok.code).toBe(0);
    expect(await s.done).toBe(0);
    expect(s.lines()).toEqual(['gz/v1/north/gw-cert/pm1/data by-cert']);
  });
});
