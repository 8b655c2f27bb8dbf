/** Limits: packet size, connections, connect rate per IP, queued messages; malformed input. */
import { connect as netConnect, type Socket } from 'node:net';
import { ManualClock } from '@ganzhi/runtime';
import mqttPacket from 'mqtt-packet';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { emptyConfig, FileCredentialStore, type RunningBroker, startBroker } from '../src/index.js';
import {
  closed,
  collect,
  connect,
  credentialsFor,
  endAll,
  login,
  startTestBroker,
  subscribe,
  tcpUrl,
} from './helpers.js';

function rawSocket(b: RunningBroker): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(b.addresses.tcp?.port ?? 0, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

function socketClosed(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    else s.once('close', () => resolve());
  });
}

const connectPacket = (clientId: string, username?: string) =>
  mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId,
    keepalive: 30,
    ...(username ? { username, password: Buffer.from(`${username}-password`) } : {}),
  });

describe('protection', () => {
  it('drops a client whose packet exceeds the maximum size, and only that client', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.limits.maxPacketBytes = 1024;
    });
    try {
      const good = await login(b, 'root');
      const got = collect(good);
      await subscribe(good, '#');
      const big = await login(b, 'root');
      const gone = closed(big);
      big.publish('x/big', Buffer.alloc(4096), { qos: 0 });
      await gone;
      await good.publishAsync('x/small', Buffer.alloc(512), { qos: 1 });
      await got.until(1);
      expect(got.got.map((m) => m.topic)).toEqual(['x/small']);
      expect(b.metrics.oversizePackets).toBe(1);
      await endAll(good, big);
    } finally {
      await b.close();
    }
  });

  it('refuses sockets beyond the maximum number of connections', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.limits.maxConnections = 2;
    });
    try {
      const a = await login(b, 'ingest');
      const c = await login(b, 'ingest');
      await expect(login(b, 'ingest')).rejects.toThrow();
      expect(b.metrics.rejectedMaxConnections).toBe(1);
      await endAll(a, c);
      await expect.poll(() => b.metrics.socketsOpen).toBe(0);
      const d = await login(b, 'ingest');
      await endAll(d);
    } finally {
      await b.close();
    }
  });

  it('rate-limits CONNECTs per IP (token bucket, frozen clock)', async () => {
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
    cfg.allowAnonymous = true;
    cfg.limits.connectsPerSecondPerIp = 1;
    cfg.limits.connectBurstPerIp = 2;
    const b = await startBroker(cfg, {
      logger: pino({ level: 'silent' }),
      clock: new ManualClock(1_000_000),
    });
    try {
      const a = await connect(tcpUrl(b));
      const c = await connect(tcpUrl(b));
      await expect(connect(tcpUrl(b))).rejects.toThrow();
      expect(b.metrics.rejectedRate).toBe(1);
      await endAll(a, c);
    } finally {
      await b.close();
    }
  });

  it('caps the queue of an offline persistent session and counts the drops', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.limits.maxQueuedPerClient = 3;
    });
    try {
      const ing = await login(b, 'ingest', { clientId: 'ganzhi-ingest-capped', clean: false });
      await subscribe(ing, 'gz/v1/+/+/+/data');
      await endAll(ing);
      const gw = await login(b, 'gw-north');
      for (let i = 0; i < 5; i++) await gw.publishAsync('gz/v1/north/gw-north/d/data', `m${i}`, { qos: 1 });
      expect(b.metrics.queueDrops).toBe(2);
      const back = await login(b, 'ingest', { clientId: 'ganzhi-ingest-capped', clean: false });
      const got = collect(back);
      await got.until(3);
      await gw.publishAsync('gz/v1/north/gw-north/d/data', 'live', { qos: 1 });
      await got.until(4);
      expect(got.got.map((m) => m.payload)).toEqual(['m0', 'm1', 'm2', 'live']);
      await endAll(gw, back);
    } finally {
      await b.close();
    }
  });

  it('disconnects a client that sends a malformed packet; others keep working', async () => {
    const b = await startTestBroker();
    try {
      const good = await login(b, 'root');
      const got = collect(good);
      await subscribe(good, 'x/#');
      for (const garbage of [
        Buffer.from([0x00, 0x00]), // reserved packet type 0
        Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]), // remaining length > 4 bytes
        Buffer.from([0x82, 0x02, 0x00, 0x01]), // SUBSCRIBE with no topic filter
        Buffer.from([0x32, 0x03, 0x00, 0x05, 0x61]), // PUBLISH whose topic runs past the packet
      ]) {
        const s = await rawSocket(b);
        s.on('error', () => {});
        s.write(connectPacket(`raw-${Math.random()}`, 'root'));
        s.write(garbage);
        await socketClosed(s);
      }
      await good.publishAsync('x/alive', 'yes', { qos: 1 });
      await got.until(1);
      expect(good.connected).toBe(true);
      await endAll(good);
    } finally {
      await b.close();
    }
  });

  it('counts auth failures and never logs the password', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
    const b = await startBroker(cfg, {
      logger,
      credentials: new FileCredentialStore(await credentialsFor({ root: { role: 'admin' } })),
    });
    try {
      await expect(
        connect(tcpUrl(b), { username: 'root', password: 'Sup3r-S3cret-Guess' }),
      ).rejects.toThrow();
      expect(b.metrics.authFailures).toBe(1);
      const text = lines.join('');
      expect(text).toContain('"user":"root"');
      expect(text).not.toContain('Sup3r-S3cret-Guess');
      expect(text).not.toContain('scrypt$');
    } finally {
      await b.close();
    }
  });

  it('warns at start when anonymous access is on, and keeps $SYS from anonymous clients', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
    cfg.allowAnonymous = true;
    const b = await startBroker(cfg, { logger });
    try {
      expect(lines.some((l) => l.includes('anonymous clients are allowed'))).toBe(true);
      const anon = await connect(tcpUrl(b));
      expect(await subscribe(anon, ['gz/v1/#', '$SYS/#'])).toEqual([1, 128]);
      await endAll(anon);
    } finally {
      await b.close();
    }
  });
});
