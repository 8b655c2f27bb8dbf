/**
 * The Sparkplug B namespace of the ACL against a live broker (issue 18): an edge node's
 * credential publishes only its own group/node topics and subscribes only to its own NCMD/DCMD
 * and STATE; the ingest (host) subscribes to spBv1.0 of its groups and publishes NCMD/DCMD and
 * its STATE. Abuse: another node's topics, another group, commands from a node, wildcard
 * subscriptions, wills on foreign topics, and what actually reaches other sessions.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker, UserEntry } from '../src/index.js';
import { closed, collect, endAll, login, startTestBroker, subscribe } from './helpers.js';

const USERS: Record<string, UserEntry> = {
  // Sparkplug ids are UTF-8 and may hold spaces (Sparkplug 3.0 §4.1.2)
  'node-a1': {
    role: 'gateway',
    district: 'north',
    gateway: 'gw-a1',
    sparkplug: { group: 'Plant A', node: 'Edge 1' },
  },
  'node-a2': {
    role: 'gateway',
    district: 'north',
    gateway: 'gw-a2',
    sparkplug: { group: 'Plant A', node: 'Edge 2' },
  },
  'node-b1': {
    role: 'gateway',
    district: 'south',
    gateway: 'gw-b1',
    sparkplug: { group: 'Plant B', node: 'Edge 1' },
  },
  'gw-plain': { role: 'gateway', district: 'north', gateway: 'gw-plain' },
  host: { role: 'ingest', sparkplug: { hostId: 'ganzhi-hub', groups: ['Plant A'] } },
  'ingest-plain': { role: 'ingest' },
  'viewer-north': { role: 'viewer', districts: ['north'] },
  root: { role: 'admin' },
};

let broker: RunningBroker;
let admin: MqttClient;
let seen: ReturnType<typeof collect>;
let markers = 0;

beforeAll(async () => {
  broker = await startTestBroker(() => {}, USERS);
  admin = await login(broker, 'root', { clientId: 'root.spb-matrix' });
  seen = collect(admin);
  expect(await subscribe(admin, '#')).toEqual([1]);
});
afterAll(async () => {
  await endAll(admin);
  await broker.close();
});

async function barrier(): Promise<void> {
  const marker = `marker/${++markers}`;
  await admin.publishAsync(marker, 'm', { qos: 1 });
  await seen.match((m) => m.topic === marker);
}

const A1 = 'spBv1.0/Plant A';
const publishCases: [user: string, topic: string, allowed: boolean][] = [
  ['node-a1', `${A1}/NBIRTH/Edge 1`, true],
  ['node-a1', `${A1}/NDATA/Edge 1`, true],
  ['node-a1', `${A1}/NDEATH/Edge 1`, true],
  ['node-a1', `${A1}/DBIRTH/Edge 1/meter 7`, true],
  ['node-a1', `${A1}/DDATA/Edge 1/meter 7`, true],
  ['node-a1', `${A1}/DDEATH/Edge 1/meter 7`, true],
  // another node of the same group, the same node name in another group
  ['node-a1', `${A1}/NDATA/Edge 2`, false],
  ['node-a1', `${A1}/DDATA/Edge 2/meter 7`, false],
  ['node-a1', 'spBv1.0/Plant B/NDATA/Edge 1', false],
  // commands and host state belong to the host
  ['node-a1', `${A1}/NCMD/Edge 1`, false],
  ['node-a1', `${A1}/DCMD/Edge 1/meter 7`, false],
  ['node-a1', 'spBv1.0/STATE/ganzhi-hub', false],
  // malformed Sparkplug topics
  ['node-a1', `${A1}/NDATA/Edge 1/extra/level`, false],
  ['node-a1', `${A1}/DDATA/Edge 1`, false],
  ['node-a1', `${A1}/XDATA/Edge 1`, false],
  // its contract topics still work, the Sparkplug grant adds nothing there
  ['node-a1', 'gz/v1/north/gw-a1/pm1/data', true],
  ['node-a1', 'gz/v1/north/gw-a2/pm1/data', false],
  // a gateway without a Sparkplug mapping may not speak Sparkplug at all
  ['gw-plain', `${A1}/NDATA/Edge 1`, false],
  ['gw-plain', 'spBv1.0/Plant A/NBIRTH/gw-plain', false],
  // the host: its STATE, commands to its groups, nothing else
  ['host', 'spBv1.0/STATE/ganzhi-hub', true],
  ['host', `${A1}/NCMD/Edge 1`, true],
  ['host', `${A1}/DCMD/Edge 2/meter 7`, true],
  ['host', 'spBv1.0/STATE/other-host', false],
  ['host', 'spBv1.0/Plant B/NCMD/Edge 1', false],
  ['host', `${A1}/NDATA/Edge 1`, false],
  ['host', `${A1}/NDEATH/Edge 1`, false],
  ['ingest-plain', `${A1}/NCMD/Edge 1`, false],
  ['ingest-plain', 'spBv1.0/STATE/ganzhi-hub', false],
  ['viewer-north', `${A1}/NCMD/Edge 1`, false],
  ['root', `${A1}/NCMD/Edge 1`, true],
];

describe('Sparkplug publish ACL', () => {
  it.each(publishCases)('%s → %s allowed=%s', async (user, topic, allowed) => {
    const c = await login(broker, user);
    const payload = `${user}-${Math.random()}`;
    if (allowed) {
      await c.publishAsync(topic, payload, { qos: 1 });
      await barrier();
      expect(seen.got.some((m) => m.topic === topic && m.payload === payload)).toBe(true);
      expect(c.connected).toBe(true);
    } else {
      const gone = closed(c);
      c.publish(topic, payload, { qos: 0 }, () => {});
      await gone;
      await barrier();
      expect(seen.got.some((m) => m.payload === payload)).toBe(false);
    }
    await endAll(c);
  });
});

const subscribeCases: [user: string, filter: string, granted: boolean][] = [
  ['node-a1', `${A1}/NCMD/Edge 1`, true],
  ['node-a1', `${A1}/NCMD/Edge 1/#`, true], // how Tahu's sparkplug-client subscribes
  ['node-a1', `${A1}/DCMD/Edge 1/+`, true],
  ['node-a1', `${A1}/DCMD/Edge 1/#`, true],
  ['node-a1', 'spBv1.0/STATE/ganzhi-hub', true],
  ['node-a1', 'spBv1.0/STATE/+', true],
  ['node-a1', `${A1}/NCMD/Edge 2`, false],
  ['node-a1', `${A1}/NCMD/+`, false],
  ['node-a1', `${A1}/+/Edge 1`, false],
  ['node-a1', `${A1}/NDATA/Edge 2`, false],
  ['node-a1', `${A1}/#`, false],
  ['node-a1', 'spBv1.0/+/NCMD/Edge 1', false],
  ['node-a1', 'spBv1.0/#', false],
  ['node-a1', 'spBv1.0/STATE/#', false],
  ['node-a1', '#', false],
  ['gw-plain', 'spBv1.0/STATE/+', false],
  ['host', `${A1}/#`, true],
  ['host', `${A1}/+/Edge 1/#`, true],
  ['host', 'spBv1.0/STATE/ganzhi-hub', true],
  ['host', 'spBv1.0/STATE/+', false],
  ['host', 'spBv1.0/Plant B/#', false],
  ['host', 'spBv1.0/+/NDATA/+', false],
  ['host', 'spBv1.0/#', false],
  ['host', 'gz/v1/+/+/+/data', true],
  ['ingest-plain', `${A1}/#`, false],
  ['viewer-north', `${A1}/#`, false],
];

describe('Sparkplug subscribe ACL', () => {
  it.each(subscribeCases)('%s subscribes %s → granted=%s', async (user, filter, granted) => {
    const c = await login(broker, user);
    expect(await subscribe(c, filter)).toEqual([granted ? 1 : 128]);
    expect(c.connected).toBe(true);
    await endAll(c);
  });
});

describe('Sparkplug delivery and wills', () => {
  it("a command reaches only its node; a node's wide filters are refused and widen nothing", async () => {
    const host = await login(broker, 'host');
    const a1 = await login(broker, 'node-a1');
    const a2 = await login(broker, 'node-a2');
    const b1 = await login(broker, 'node-b1');
    const a1Seen = collect(a1);
    const a2Seen = collect(a2);
    const b1Seen = collect(b1);
    await subscribe(a1, [`${A1}/NCMD/Edge 1/#`, `${A1}/DCMD/Edge 1/#`]);
    await subscribe(a2, [`${A1}/NCMD/Edge 2/#`, `${A1}/NCMD/+`, 'spBv1.0/#']);
    await subscribe(b1, ['spBv1.0/Plant B/NCMD/Edge 1/#', 'spBv1.0/+/NCMD/Edge 1']);
    await host.publishAsync(`${A1}/NCMD/Edge 1`, 'rebirth-a1', { qos: 0 });
    await host.publishAsync(`${A1}/DCMD/Edge 1/meter 7`, 'write-a1', { qos: 0 });
    await a1Seen.until(2);
    await barrier();
    expect(a1Seen.got.map((m) => m.payload).sort()).toEqual(['rebirth-a1', 'write-a1']);
    expect(a2Seen.got).toEqual([]);
    expect(b1Seen.got).toEqual([]);
    await endAll(host, a1, a2, b1);
  });

  it('a node may register only its own NDEATH as will; the host only its own STATE', async () => {
    const will = (topic: string) => ({
      will: { topic, payload: Buffer.from('x'), qos: 1 as const, retain: false },
    });
    await expect(login(broker, 'node-a1', will(`${A1}/NDEATH/Edge 2`))).rejects.toThrow(/Not authorized/i);
    await expect(login(broker, 'node-a1', will('spBv1.0/STATE/ganzhi-hub'))).rejects.toThrow(
      /Not authorized/i,
    );
    await expect(login(broker, 'host', will('spBv1.0/STATE/other-host'))).rejects.toThrow(/Not authorized/i);
    const a1 = await login(broker, 'node-a1', will(`${A1}/NDEATH/Edge 1`));
    const host = await login(broker, 'host', will('spBv1.0/STATE/ganzhi-hub'));
    const hostSeen = collect(host);
    await subscribe(host, `${A1}/#`);
    a1.stream.destroy(); // no DISCONNECT: the broker publishes the will
    await hostSeen.match((m) => m.topic === `${A1}/NDEATH/Edge 1`);
    await endAll(a1, host);
  });
});
