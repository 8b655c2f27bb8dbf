/**
 * Fleet config pushes through the broker (issue 16), tried as an attacker would, through real
 * sockets against the real broker: who may push a gateway's desired config (an operator of its
 * district, retained only), what the gateway and the ingest actually receive (the broker stamps
 * `issuer` and strips a forged `onBehalfOf`), what stays retained when a push is invalid, stale or
 * names another gateway (the previous document), wills, clearing, a flood of invalid pushes, and
 * the security log (never the payload).
 */
import { configHash } from '@ganzhi/device-profiles';
import { ManualClock } from '@ganzhi/runtime';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { RunningBroker, UserEntry } from '../src/index.js';
import {
  brokerPool,
  closed,
  collect,
  connect,
  endAll,
  inMode,
  type PersistenceMode,
  roundTrip,
  subscribe,
  tcpUrl,
  USERS,
} from './helpers.js';
import { type RedisServer, startRedis } from './redis-fixture.js';

const FLEET_USERS: Record<string, UserEntry> = {
  ...USERS,
  'op-north': { role: 'operator', districts: ['north'] },
  'op-south': { role: 'operator', districts: ['south'] },
  hub: { role: 'operator', districts: ['north', 'south'], delegate: true },
};

const NORTH = 'gz/v1/north/gw-north/config';
const SOUTH = 'gz/v1/south/gw-south/config';

const pool = brokerPool(FLEET_USERS);
const { open, brokers, start: fleetBroker, as } = pool;
afterEach(pool.stopAll);

/** A gateway's agent config document (what `config` carries). */
function agentConfig(gateway = 'gw-north', district = 'north', extra: Record<string, unknown> = {}) {
  return { gateway, district, devices: [], ...extra };
}

/** A desired config envelope as a hub would send it; `env` adds or overrides envelope fields. */
function desired(
  version: number,
  config: Record<string, unknown> = agentConfig(),
  env: Record<string, unknown> = {},
): string {
  return JSON.stringify({ v: 1, version, hash: configHash(config), config, issued: Date.now(), ...env });
}

/** A gateway subscribed to its desired config, as the agent is, and what it receives. */
async function gatewayInbox(b: RunningBroker, gw: 'gw-north' | 'gw-south') {
  const c = await as(b, gw);
  const inbox = collect(c);
  const district = gw === 'gw-north' ? 'north' : 'south';
  expect(await subscribe(c, `gz/v1/${district}/${gw}/config`)).toEqual([1]);
  return {
    c,
    inbox,
    docs: () => inbox.got.map((m) => JSON.parse(m.payload) as Record<string, unknown>),
    /** proves every message routed to it before now has arrived */
    settle: () => roundTrip(c, `gz/v1/${district}/${gw}/probe/cmd`),
  };
}

/** What the broker's session store retains on `topic` (parsed), or undefined. */
async function retained(b: RunningBroker, topic: string): Promise<Record<string, unknown> | undefined> {
  const store = (
    b.aedes as unknown as {
      persistence: { createRetainedStream(p: string): AsyncIterable<{ topic: string; payload: Buffer }> };
    }
  ).persistence;
  let found: Record<string, unknown> | undefined;
  for await (const p of store.createRetainedStream(topic))
    if (p.topic === topic && p.payload.length > 0) found = JSON.parse(p.payload.toString());
  return found;
}

/** Publishes a refused message and waits until the broker has closed the connection for it. */
async function refusedPublish(c: MqttClient, topic: string, payload: string, retain = true) {
  const gone = closed(c);
  c.publish(topic, payload, { qos: 1, retain }, () => {});
  await gone;
}

describe('who may push a desired config', () => {
  it('an operator of the district pushes (retained); the gateway, a late subscriber and the ingest get it stamped', async () => {
    const { b } = await fleetBroker();
    const north = await gatewayInbox(b, 'gw-north');
    const ingest = await as(b, 'ingest');
    const audit = collect(ingest);
    expect(await subscribe(ingest, 'gz/v1/+/+/config')).toEqual([1]);
    const op = await as(b, 'op-north');
    await op.publishAsync(NORTH, desired(1, agentConfig(), { issuer: 'root', onBehalfOf: 'mayor' }), {
      qos: 1,
      retain: true,
    });
    await north.inbox.until(1);
    await audit.until(1);
    const doc = north.docs()[0];
    expect(doc).toMatchObject({ v: 1, version: 1, issuer: 'op-north', hash: configHash(agentConfig()) });
    expect(doc).not.toHaveProperty('onBehalfOf');
    expect(doc?.config).toEqual(agentConfig());
    expect(JSON.parse(audit.got[0]?.payload ?? '{}')).toEqual(doc);
    expect(await retained(b, NORTH)).toEqual(doc);
    // a gateway (re)connecting later gets the stamped document from the retained store
    const late = await gatewayInbox(b, 'gw-north');
    await late.inbox.until(1);
    expect(late.docs()).toEqual([doc]);
    expect(late.inbox.got[0]?.retain).toBe(true);
    expect(b.metrics.configsStamped).toBe(1);
  });

  it.each([0, 2] as const)(
    'QoS %i: a push is checked and stamped the same, a stale one dropped',
    async (qos) => {
      const { b } = await fleetBroker();
      const north = await gatewayInbox(b, 'gw-north');
      const op = await as(b, 'op-north');
      await op.publishAsync(NORTH, desired(2, agentConfig(), { issuer: 'root' }), { qos, retain: true });
      await op.publishAsync(NORTH, desired(1, agentConfig('gw-north', 'north', { labels: ['old'] })), {
        qos,
        retain: true,
      });
      await north.inbox.until(1);
      await waitFor('the stale push handled', () => b.metrics.configsRefused === 1);
      await north.settle();
      expect(north.docs()).toHaveLength(1);
      expect(north.docs()[0]).toMatchObject({ version: 2, issuer: 'op-north' });
      expect(await retained(b, NORTH)).toEqual(north.docs()[0]);
      expect(b.metrics.configsRefused).toBe(1);
    },
  );

  it('keeps onBehalfOf only from the hub (delegate); admin and anonymous are stamped as themselves', async () => {
    const { b } = await fleetBroker();
    const north = await gatewayInbox(b, 'gw-north');
    const hub = await as(b, 'hub');
    await hub.publishAsync(NORTH, desired(1, agentConfig(), { issuer: 'root', onBehalfOf: 'alice' }), {
      qos: 1,
      retain: true,
    });
    const root = await as(b, 'root');
    await root.publishAsync(NORTH, desired(2, agentConfig(), { issuer: 'hub', onBehalfOf: 'alice' }), {
      qos: 1,
      retain: true,
    });
    await north.inbox.until(2);
    expect(north.docs()[0]).toMatchObject({ version: 1, issuer: 'hub', onBehalfOf: 'alice' });
    expect(north.docs()[1]).toMatchObject({ version: 2, issuer: 'root' });
    expect(north.docs()[1]).not.toHaveProperty('onBehalfOf');

    const { b: anonBroker } = await fleetBroker((cfg) => {
      cfg.allowAnonymous = true;
    });
    const gw = await connect(tcpUrl(anonBroker), { clientId: 'anon-gw' });
    open.push(gw);
    const inbox = collect(gw);
    await subscribe(gw, NORTH);
    const anon = await connect(tcpUrl(anonBroker), { clientId: 'anon-hub' });
    open.push(anon);
    await anon.publishAsync(NORTH, desired(1, agentConfig(), { issuer: 'root' }), { qos: 1, retain: true });
    await inbox.until(1);
    expect(JSON.parse(inbox.got[0]?.payload ?? '{}')).toMatchObject({ version: 1, issuer: 'anonymous' });
  });

  it('another district’s operator, a viewer, the ingest, gateways and a borrowed gateway client id are refused: closed, nothing retained, nothing received, logged without the payload', async () => {
    const { b, lines, text } = await fleetBroker();
    const north = await gatewayInbox(b, 'gw-north');
    const south = await gatewayInbox(b, 'gw-south');
    const marker = 'payload-marker-3c9e';
    const doc = desired(1, agentConfig('gw-north', 'north', { note: marker }));
    await refusedPublish(await as(b, 'op-south'), NORTH, doc);
    await refusedPublish(await as(b, 'op-north'), SOUTH, desired(1, agentConfig('gw-south', 'south')));
    await refusedPublish(await as(b, 'viewer-north'), NORTH, doc);
    await refusedPublish(await as(b, 'ingest'), NORTH, doc);
    // a gateway may not write its own desired config, nor another's
    await refusedPublish(await as(b, 'gw-north', { clientId: 'gz-north-gw-north' }), NORTH, doc);
    await refusedPublish(await as(b, 'gw-south'), NORTH, doc);
    // another user cannot borrow the gateway's client id to pass for it
    for (const user of ['op-north', 'gw-south']) {
      await expect(as(b, user, { clientId: 'gz-north-gw-north' })).rejects.toMatchObject({ code: 5 });
    }
    await north.settle();
    await south.settle();
    expect(north.inbox.got).toEqual([]);
    expect(south.inbox.got).toEqual([]);
    expect(await retained(b, NORTH)).toBeUndefined();
    expect(await retained(b, SOUTH)).toBeUndefined();
    const whys = lines
      .filter((l) => l.security === 'acl_denied' && String(l.what).endsWith('/config'))
      .map((l) => `${l.user}: ${l.why}`);
    expect(whys).toEqual([
      "op-south: config refused: district north is not among the operator's districts",
      "op-north: config refused: district south is not among the operator's districts",
      'viewer-north: config refused: the viewer role may not publish a desired config',
      'ingest: config refused: the ingest role may not publish a desired config',
      'gw-north: config refused: gateways never publish a desired config',
      'gw-south: config refused: gateways never publish a desired config',
    ]);
    expect(text()).not.toContain(marker);
  });

  it('a non-retained push and an operator’s clear are refused (closed); a will on a config topic is refused at CONNECT; admin clears', async () => {
    const { b, lines } = await fleetBroker();
    const op = await as(b, 'op-north');
    await op.publishAsync(NORTH, desired(1), { qos: 1, retain: true });
    const north = await gatewayInbox(b, 'gw-north');
    await north.inbox.until(1);
    await refusedPublish(await as(b, 'op-north'), NORTH, desired(2), false);
    await refusedPublish(await as(b, 'root'), NORTH, desired(2), false);
    await refusedPublish(await as(b, 'op-north'), NORTH, '', true);
    for (const user of ['op-north', 'root']) {
      await expect(
        connect(tcpUrl(b), {
          username: user,
          password: `${user}-password`,
          clientId: `${user}.will`,
          will: { topic: NORTH, payload: Buffer.from(desired(9)), qos: 1, retain: true },
        }),
      ).rejects.toThrow(/Not authorized/i);
    }
    await north.settle();
    expect(north.docs().map((d) => d.version)).toEqual([1]);
    expect(await retained(b, NORTH)).toMatchObject({ version: 1, issuer: 'op-north' });
    const whys = lines.filter((l) => l.security === 'acl_denied').map((l) => l.why);
    expect(whys.filter((w) => /must be published retained/.test(String(w)))).toHaveLength(2);
    expect(whys).toContain('config refused: only admin clears a desired config');
    expect(whys.filter((w) => w === 'will topic not allowed')).toHaveLength(2);

    // admin clears: nothing retained; the next push starts again from any version
    const root = await as(b, 'root');
    await root.publishAsync(NORTH, '', { qos: 1, retain: true });
    expect(await retained(b, NORTH)).toBeUndefined();
    await op.publishAsync(NORTH, desired(1, agentConfig('gw-north', 'north', { labels: ['x'] })), {
      qos: 1,
      retain: true,
    });
    expect(await retained(b, NORTH)).toMatchObject({ version: 1, config: { labels: ['x'] } });
  });
});

describe('what the broker refuses to retain', () => {
  it('forged hash, inline secret, another gateway or district, stale version, not JSON, too big: acknowledged, dropped, the retained document unchanged, the gateway got nothing', async () => {
    const { b, lines, text } = await fleetBroker((cfg) => {
      cfg.limits.maxPacketBytes = 512 * 1024;
    });
    const op = await as(b, 'op-north');
    const good = desired(5, agentConfig('gw-north', 'north', { labels: ['good'] }));
    await op.publishAsync(NORTH, good, { qos: 1, retain: true });
    const kept = await retained(b, NORTH);
    expect(kept).toMatchObject({ version: 5, issuer: 'op-north' });
    const north = await gatewayInbox(b, 'gw-north');
    await north.inbox.until(1); // the retained one

    const secret = 'hunter2-inline-secret';
    const cfg = agentConfig();
    const cases: [string, string, RegExp][] = [
      ['forged hash', desired(6, cfg, { hash: 'b'.repeat(64) }), /hash: not the SHA-256/],
      [
        'inline secret',
        desired(6, { ...cfg, delivery: { mqtt: { url: 'mqtt://x', password: secret } } }),
        /config\.delivery\.mqtt\.password: a secret must be a reference/,
      ],
      ['another gateway', desired(6, agentConfig('gw-other', 'north')), /config\.gateway is not the topic's/],
      [
        'another district',
        desired(6, agentConfig('gw-north', 'south')),
        /config\.district is not the topic's/,
      ],
      ['same version', desired(5, cfg), /version 5 is not above the retained desired config's version 5/],
      ['older version', desired(4, cfg), /version 4 is not above/],
      ['not JSON', `{"v":1,"version":6,"password":"${secret}"`, /payload is not JSON/],
      ['unknown field', desired(6, cfg, { secret }), /invalid desired config/],
      ['too big', desired(6, { ...cfg, pad: 'x'.repeat(300 * 1024) }), /more than 262144/],
    ];
    for (const [, payload] of cases) await op.publishAsync(NORTH, payload, { qos: 1, retain: true });
    expect(op.connected).toBe(true);
    await north.settle();
    expect(north.docs()).toEqual([kept]);
    expect(await retained(b, NORTH)).toEqual(kept);
    const refused = lines.filter((l) => l.security === 'config_refused');
    expect(refused).toHaveLength(cases.length);
    for (const [i, [what, , why]] of cases.entries()) {
      expect(refused[i], what).toMatchObject({ user: 'op-north', what: NORTH });
      expect(String(refused[i]?.why), what).toMatch(why);
      expect(String(refused[i]?.why), what).toMatch(/acknowledged, dropped$/);
    }
    expect(refused[4]).toMatchObject({ version: 5 });
    expect(text()).not.toContain(secret);
    expect(b.metrics.configsRefused).toBe(cases.length);
    expect(b.metrics.configsStamped).toBe(1);
    expect(b.metricsText()).toContain(`gz_broker_configs_total{result="refused"} ${cases.length}`);
    expect(b.metricsText()).toContain('gz_broker_security_events_total{event="config_refused"}');

    // the next valid push goes through
    await op.publishAsync(NORTH, desired(6, cfg), { qos: 1, retain: true });
    await north.inbox.until(2);
    expect(north.docs()[1]).toMatchObject({ version: 6, issuer: 'op-north' });
  });

  it('two pushes of the same version racing each other: one is retained and delivered, the other refused', async () => {
    const { b } = await fleetBroker();
    const north = await gatewayInbox(b, 'gw-north');
    const op = await as(b, 'op-north');
    const hub = await as(b, 'hub');
    const a = desired(3, agentConfig('gw-north', 'north', { labels: ['a'] }));
    const c = desired(3, agentConfig('gw-north', 'north', { labels: ['c'] }));
    await Promise.all([
      op.publishAsync(NORTH, a, { qos: 1, retain: true }),
      hub.publishAsync(NORTH, c, { qos: 1, retain: true }),
    ]);
    await north.inbox.until(1);
    await north.settle();
    expect(north.docs()).toHaveLength(1);
    expect(await retained(b, NORTH)).toEqual(north.docs()[0]);
    expect(b.metrics.configsRefused).toBe(1);
  });
});

// the retained version is read from the session store: it holds across restarts and cluster nodes
const redisBin = peer('redis-server', 'redis-server');
const modes: PersistenceMode[] = redisBin.ok ? ['disk', 'redis'] : ['disk'];
let redis: RedisServer | undefined;
beforeAll(async () => {
  if (redisBin.ok) redis = await startRedis(redisBin.path);
});
afterAll(async () => {
  await redis?.stop();
});
let nextDb = 3;

describe.each(modes)('%s mode', (mode) => {
  const where = () => ({
    dir: tempDir(`ganzhi-fleet-${mode}-`),
    ...(redis ? { redisUrl: redis.url } : {}),
    redisDb: nextDb++,
  });

  it('the version check holds across a broker restart', async () => {
    const w = where();
    const first = await fleetBroker(inMode(mode, w));
    const op = await as(first.b, 'op-north');
    await op.publishAsync(NORTH, desired(7), { qos: 1, retain: true });
    await endAll(...open.splice(0));
    await first.b.close();
    brokers.splice(brokers.indexOf(first.b), 1);

    const { b, lines } = await fleetBroker(inMode(mode, w));
    const north = await gatewayInbox(b, 'gw-north');
    await north.inbox.until(1);
    const again = await as(b, 'op-north');
    await again.publishAsync(NORTH, desired(6, agentConfig('gw-north', 'north', { labels: ['old'] })), {
      qos: 1,
      retain: true,
    });
    await north.settle();
    expect(north.docs().map((d) => d.version)).toEqual([7]);
    expect(await retained(b, NORTH)).toMatchObject({ version: 7, issuer: 'op-north' });
    expect(lines.find((l) => l.security === 'config_refused')?.why).toMatch(/version 6 is not above .* 7/);
  });

  it.runIf(mode === 'redis')(
    'a push through another node of the cluster is checked against the same retained version',
    async () => {
      const w = where();
      const a = await fleetBroker(inMode(mode, w));
      const other = await fleetBroker(inMode(mode, w));
      const north = await gatewayInbox(a.b, 'gw-north');
      await (await as(a.b, 'op-north')).publishAsync(NORTH, desired(4), { qos: 1, retain: true });
      await north.inbox.until(1);
      const viaOther = await as(other.b, 'hub');
      await viaOther.publishAsync(NORTH, desired(3, agentConfig('gw-north', 'north', { labels: ['old'] })), {
        qos: 1,
        retain: true,
      });
      await viaOther.publishAsync(NORTH, desired(5), { qos: 1, retain: true });
      await north.inbox.until(2);
      await north.settle();
      expect(north.docs().map((d) => [d.version, d.issuer])).toEqual([
        [4, 'op-north'],
        [5, 'hub'],
      ]);
      expect(other.b.metrics.configsRefused).toBe(1);
      expect(await retained(a.b, NORTH)).toMatchObject({ version: 5, issuer: 'hub' });
    },
  );
});

describe('a flood of invalid pushes from an operator', () => {
  it('is acknowledged and dropped, logged within the rate limit; the broker stays up, the retained document and other sessions are untouched', async () => {
    const clock = new ManualClock(1_000_000);
    const { b, lines, text } = await fleetBroker((cfg) => {
      cfg.limits.maxPacketBytes = 64 * 1024;
    }, clock);
    const op = await as(b, 'op-north');
    await op.publishAsync(NORTH, desired(10), { qos: 1, retain: true });
    const kept = await retained(b, NORTH);
    const north = await gatewayInbox(b, 'gw-north');
    await north.inbox.until(1);
    const ingest = await as(b, 'ingest');
    const data = collect(ingest);
    await subscribe(ingest, 'gz/v1/+/+/+/data');
    const gwS = await as(b, 'gw-south');

    const secret = 'hunter2-in-a-flood';
    const cfg = agentConfig();
    const bad: (string | Buffer)[] = [
      `not json ${secret}`,
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      'null',
      '[]',
      '{"__proto__":{"version":99}}',
      desired(11, cfg, { hash: '0'.repeat(64) }),
      desired(9, cfg),
      desired(10, cfg),
      desired(11, { ...cfg, token: secret }),
      desired(11, agentConfig('gw-south', 'south')),
      `{"v":1,"version":11,"config":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      'x'.repeat(60_000),
    ];
    const rounds = 50;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const p of bad) sends.push(op.publishAsync(NORTH, p, { qos: (i % 2) as 0 | 1, retain: true }));
      if (i % 10 === 0) sends.push(gwS.publishAsync('gz/v1/south/gw-south/pm1/data', `d${i}`, { qos: 1 }));
    }
    await Promise.all(sends);
    // QoS 0 pushes are not acknowledged: wait until the broker has handled every one
    await waitFor('every invalid push handled', () => b.metrics.configsRefused === rounds * bad.length);
    expect(op.connected).toBe(true);
    await data.until(rounds / 10);
    expect(data.got.map((m) => m.payload)).toEqual(
      Array.from({ length: rounds / 10 }, (_, i) => `d${i * 10}`),
    );
    await north.settle();
    expect(north.docs()).toEqual([kept]);
    expect(await retained(b, NORTH)).toEqual(kept);
    expect(b.metrics.configsRefused).toBe(rounds * bad.length);

    const refused = () => lines.filter((l) => l.security === 'config_refused');
    expect(refused()).toHaveLength(20);
    expect(String(refused()[0]?.why)).toBe(
      'invalid desired config: payload is not JSON: acknowledged, dropped',
    );
    clock.advance(1000);
    await op.publishAsync(NORTH, 'one more', { qos: 1, retain: true });
    expect(refused()).toHaveLength(21);
    expect(refused()[20]).toMatchObject({ suppressed: rounds * bad.length - 20 });
    expect(text()).not.toContain(secret);

    // the operator's next valid push is the only new document the gateway ever received
    await op.publishAsync(NORTH, desired(11), { qos: 1, retain: true });
    await north.inbox.until(2);
    await north.settle();
    expect(north.docs().map((d) => d.version)).toEqual([10, 11]);
  });
});
