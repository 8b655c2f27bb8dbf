/**
 * The ACL matrix against a live broker with real MQTT.js clients: every role, allowed and
 * denied publish/subscribe, cross-district attempts, leaking wildcards and $SYS.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../src/index.js';
import { closed, collect, connect, endAll, login, startTestBroker, subscribe, tcpUrl } from './helpers.js';

let broker: RunningBroker;
let admin: MqttClient;
let seen: ReturnType<typeof collect>;
let markerCount = 0;

beforeAll(async () => {
  broker = await startTestBroker();
  admin = await login(broker, 'root', { clientId: 'root.matrix-admin' });
  seen = collect(admin);
  expect(await subscribe(admin, '#')).toEqual([1]);
});
afterAll(async () => {
  await endAll(admin);
  await broker.close();
});

/** Publishes a marker as admin and waits for it: everything published before has been routed. */
async function barrier(): Promise<void> {
  const marker = `marker/${++markerCount}`;
  const before = seen.got.length;
  await admin.publishAsync(marker, 'm', { qos: 1 });
  await seen.until(before + 1);
  while (!seen.got.some((m) => m.topic === marker)) await seen.until(seen.got.length + 1);
}

const publishCases: [user: string, topic: string, allowed: boolean][] = [
  ['gw-north', 'gz/v1/north/gw-north/state', true],
  ['gw-north', 'gz/v1/north/gw-north/pm1/data', true],
  ['gw-north', 'gz/v1/north/gw-north/pm1/meta', true],
  ['gw-north', 'gz/v1/north/gw-north/pm1/status', true],
  ['gw-north', 'gz/v1/south/gw-south/pm1/data', false],
  ['gw-north', 'gz/v1/south/gw-north/pm1/data', false],
  ['gw-north', 'gz/v1/north/gw-other/pm1/data', false],
  ['gw-north', 'gz/v1/north/gw-north/cmd', false],
  ['gw-north', 'gz/v1/north/gw-north/pm1/cmd', false],
  ['gw-north', 'gz/v1/north/gw-north/pm1/data/x', false],
  ['gw-north', 'not/the/contract', false],
  ['gw-north', '$SYS/fake', false],
  ['gw-south', 'gz/v1/south/gw-south/pm1/data', true],
  ['gw-south', 'gz/v1/north/gw-north/pm1/data', false],
  ['ingest', 'gz/v1/north/gw-north/pm1/data', false],
  ['ingest', 'gz/v1/north/gw-north/cmd', false],
  ['viewer-north', 'gz/v1/north/gw-north/pm1/data', false],
  ['root', 'gz/v1/north/gw-north/cmd', true],
  ['root', 'gz/v1/north/gw-north/pm1/cmd', true],
  ['root', '$SYS/fake', false],
];

describe('publish ACL', () => {
  for (const qos of [0, 1] as const) {
    it.each(publishCases)(`QoS ${qos}: %s → %s allowed=%s`, async (user, topic, allowed) => {
      const c = await login(broker, user);
      const payload = `${user}-${qos}-${Math.random()}`;
      if (allowed) {
        await c.publishAsync(topic, payload, { qos });
        await barrier();
        expect(seen.got.some((m) => m.topic === topic && m.payload === payload)).toBe(true);
        expect(c.connected).toBe(true);
      } else {
        // MQTT 3.1.1 cannot refuse a PUBLISH in-band: Aedes closes the connection.
        const gone = closed(c);
        c.publish(topic, payload, { qos }, () => {});
        await gone;
        await barrier();
        expect(seen.got.some((m) => m.payload === payload)).toBe(false);
      }
      await endAll(c);
    });
  }
});

const subscribeCases: [user: string, filter: string, granted: boolean][] = [
  ['gw-north', 'gz/v1/north/gw-north/cmd', true],
  ['gw-north', 'gz/v1/north/gw-north/+/cmd', true],
  ['gw-north', 'gz/v1/north/gw-north/pm1/cmd', true],
  ['gw-north', 'gz/v1/south/gw-south/cmd', false],
  ['gw-north', 'gz/v1/north/gw-north/#', false],
  ['gw-north', 'gz/v1/north/+/cmd', false],
  ['gw-north', 'gz/v1/+/+/cmd', false],
  ['gw-north', 'gz/v1/#', false],
  ['gw-north', '#', false],
  ['gw-north', '$SYS/#', false],
  ['ingest', 'gz/v1/+/+/+/data', true],
  ['ingest', 'gz/v1/+/+/+/meta', true],
  ['ingest', 'gz/v1/+/+/+/status', true],
  ['ingest', 'gz/v1/+/+/state', true],
  ['ingest', 'gz/v1/south/+/+/data', true],
  ['ingest', 'gz/v1/+/+/+/cmd', true], // the command audit (issue 15)
  ['ingest', 'gz/v1/+/+/cmd', false],
  ['ingest', 'gz/v1/+/+/+/+', false],
  ['ingest', 'gz/v1/#', false],
  ['ingest', '#', false],
  ['ingest', '$SYS/#', false],
  ['viewer-north', 'gz/v1/north/#', true],
  ['viewer-north', 'gz/v1/north/+/+/data', true],
  ['viewer-north', 'gz/v1/south/#', false],
  ['viewer-north', 'gz/v1/+/+/+/data', false],
  ['viewer-north', 'gz/v1/+/+/state', false],
  ['viewer-north', 'gz/v1/#', false],
  ['viewer-north', '$SYS/#', false],
  ['root', '#', true],
  ['root', '$SYS/#', true],
];

describe('subscribe ACL', () => {
  it.each(subscribeCases)('%s subscribes %s → granted=%s', async (user, filter, granted) => {
    const c = await login(broker, user);
    expect(await subscribe(c, filter)).toEqual([granted ? 1 : 128]);
    expect(c.connected).toBe(true); // a refused subscription keeps the connection
    await endAll(c);
  });

  it('delivers across roles exactly as granted', async () => {
    const ing = await login(broker, 'ingest');
    const viewer = await login(broker, 'viewer-north');
    const gwN = await login(broker, 'gw-north');
    const gwS = await login(broker, 'gw-south');
    const ingSeen = collect(ing);
    const viewerSeen = collect(viewer);
    const gwSeen = collect(gwN);
    await subscribe(ing, ['gz/v1/+/+/+/data', 'gz/v1/+/+/state']);
    await subscribe(viewer, 'gz/v1/north/#');
    await subscribe(gwN, 'gz/v1/north/gw-north/+/cmd');
    // leaking wildcards, refused: they must not widen what each client receives
    await subscribe(viewer, ['gz/v1/#', 'gz/v1/+/+/+/data']);
    await subscribe(gwN, ['gz/v1/+/+/+/data', '#']);

    await gwS.publishAsync('gz/v1/south/gw-south/pm1/data', 'south-data', { qos: 1 });
    await gwN.publishAsync('gz/v1/north/gw-north/pm1/data', 'north-data', { qos: 1 });
    await admin.publishAsync('gz/v1/north/gw-north/pm1/cmd', 'north-cmd', { qos: 1 });
    await admin.publishAsync('gz/v1/south/gw-south/pm1/cmd', 'south-cmd', { qos: 1 });
    await ingSeen.until(2);
    await viewerSeen.until(2);
    await gwSeen.until(1);
    await barrier();
    expect(ingSeen.got.map((m) => m.payload).sort()).toEqual(['north-data', 'south-data']);
    expect(viewerSeen.got.map((m) => m.payload).sort()).toEqual(['north-cmd', 'north-data']);
    expect(gwSeen.got.map((m) => m.payload)).toEqual(['north-cmd']);
    await endAll(ing, viewer, gwN, gwS);
  });
});

describe('$SYS', () => {
  it('is readable by admins only', async () => {
    const sysAdmin = await login(broker, 'root');
    const sys = collect(sysAdmin);
    expect(await subscribe(sysAdmin, '$SYS/#')).toEqual([1]);
    const viewer = await login(broker, 'viewer-north');
    expect(await subscribe(viewer, ['$SYS/#', `$SYS/${broker.aedes.id}/new/clients`])).toEqual([128, 128]);
    const other = await login(broker, 'ingest', { clientId: 'ganzhi-ingest-sys-probe' });
    await sys.match(
      (m) => m.topic === `$SYS/${broker.aedes.id}/new/clients` && m.payload === 'ganzhi-ingest-sys-probe',
    );
    await endAll(other);
    await sys.match(
      (m) =>
        m.topic === `$SYS/${broker.aedes.id}/disconnect/clients` && m.payload === 'ganzhi-ingest-sys-probe',
    );
    await endAll(sysAdmin, viewer);
  });
});

describe('will messages', () => {
  it('refuses a CONNECT whose will topic the identity may not publish', async () => {
    await expect(
      login(broker, 'gw-north', {
        will: { topic: 'gz/v1/south/gw-south/state', payload: Buffer.from('x'), qos: 1, retain: false },
      }),
    ).rejects.toThrow(/Not authorized/i);
  });
  it('publishes an authorised will when the gateway dies', async () => {
    const ing = await login(broker, 'ingest');
    const got = collect(ing);
    await subscribe(ing, 'gz/v1/+/+/state');
    const gw = await login(broker, 'gw-north', {
      will: { topic: 'gz/v1/north/gw-north/state', payload: Buffer.from('offline'), qos: 1, retain: false },
    });
    gw.stream.destroy(); // abrupt: no DISCONNECT
    await got.until(1);
    expect(got.got[0]).toMatchObject({ topic: 'gz/v1/north/gw-north/state', payload: 'offline' });
    await endAll(ing, gw);
  });
});

describe('authentication', () => {
  it('refuses bad passwords, unknown users and anonymous clients, and counts them', async () => {
    const before = broker.metrics.authFailures;
    await expect(connect(tcpUrl(broker), { username: 'root', password: 'nope' })).rejects.toThrow(
      /Bad username/i,
    );
    await expect(connect(tcpUrl(broker), { username: 'ghost', password: 'ghost-password' })).rejects.toThrow(
      /Bad username/i,
    );
    await expect(connect(tcpUrl(broker))).rejects.toThrow(/Not authorized/i);
    expect(broker.metrics.authFailures - before).toBe(3);
  });
});
