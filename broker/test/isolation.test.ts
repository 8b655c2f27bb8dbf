/**
 * Tenant isolation (issue 13, findings 1 and 2), as an attacker holding one gateway's password
 * would try it, through real sockets, in memory, disk and Redis modes:
 *
 * 1. a refused subscription must never be stored in a persistent session: not in the session
 *    store, not queued while the client is away, not delivered at its next clean=0 connect;
 * 2. client ids are bound to identities: a gateway may not use the ingest's id (resume it and
 *    acknowledge its queue, or wipe it with clean=1) nor another gateway's id (kick it off and
 *    fire its will); CONNACK 5 and nothing changes for the victim.
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { tempDir } from '../../test-support/process.js';
import type { RunningBroker } from '../src/index.js';
import {
  collect,
  connect,
  endAll,
  inMode,
  type PersistenceMode,
  roundTrip,
  startTestBroker,
  storedQueue,
  storedSubscriptions,
  subscribe,
  tcpUrl,
  USERS,
} from './helpers.js';
import { type RedisServer, startRedis } from './redis-fixture.js';

const redisBin = peer('redis-server', 'redis-server');
const modes: PersistenceMode[] = redisBin.ok ? ['memory', 'disk', 'redis'] : ['memory', 'disk'];

let redis: RedisServer | undefined;
let nextDb = 0;
beforeAll(async () => {
  if (redisBin.ok) redis = await startRedis(redisBin.path);
});
afterAll(async () => {
  await redis?.stop();
});

const open: MqttClient[] = [];
const brokers: RunningBroker[] = [];
afterEach(async () => {
  await endAll(...open.splice(0));
  for (const b of brokers.splice(0)) await b.close();
});

/** Users of these tests: two gateways in two districts, two ingest users, a viewer, an admin. */
const TEST_USERS = { ...USERS, 'ingest-b': { role: 'ingest' as const } };

interface Place {
  mode: PersistenceMode;
  dir: string;
  db: number;
}

function place(mode: PersistenceMode): Place {
  return { mode, dir: tempDir(`gz-iso-${mode}-`), db: (nextDb++ % 15) + 1 };
}

async function brokerAt(p: Place, tweak: Parameters<typeof startTestBroker>[0] = () => {}) {
  const b = await startTestBroker((cfg) => {
    inMode(p.mode, { dir: p.dir, ...(redis ? { redisUrl: redis.url } : {}), redisDb: p.db })(cfg);
    tweak(cfg);
  }, TEST_USERS);
  brokers.push(b);
  return b;
}

async function as(b: RunningBroker, user: string, clientId: string, clean = true): Promise<MqttClient> {
  const c = await connect(tcpUrl(b), { username: user, password: `${user}-password`, clientId, clean });
  open.push(c);
  return c;
}

/** What a CONNECT is answered with: 0 = accepted, else the CONNACK return code. */
async function connackOf(b: RunningBroker, user: string, clientId: string, clean = true): Promise<number> {
  try {
    await as(b, user, clientId, clean);
    return 0;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
}

const GW_NORTH_ID = 'gz-north-gw-north';
const INGEST_ID = 'ganzhi-ingest-1';
const NORTH_CMD = 'gz/v1/north/gw-north/cmd';
/** a filter the gateway may hold, used only for round trips (subscribed, then unsubscribed) */
const NORTH_PROBE = 'gz/v1/north/gw-north/probe-dev/cmd';
const SOUTH_DATA = 'gz/v1/south/gw-south/pm1/data';
const NORTH_DATA = 'gz/v1/north/gw-north/pm1/data';
const DATA_FILTER = 'gz/v1/+/+/+/data';

describe.each(modes)('%s mode: a refused subscription is never stored', (mode) => {
  it('SUBACK says 01 80, only the granted filter is in the session, and another district’s messages are neither queued nor delivered at the next clean=0 connect', async () => {
    const p = place(mode);
    let b = await brokerAt(p);
    const gw = await as(b, 'gw-north', GW_NORTH_ID, false);
    expect(await subscribe(gw, [NORTH_CMD, '#'], 1)).toEqual([1, 128]);
    expect(await storedSubscriptions(b, GW_NORTH_ID)).toEqual([NORTH_CMD]);
    await gw.endAsync();

    // while the gateway is away, the south district publishes
    const south = await as(b, 'gw-south', 'gz-south-gw-south');
    for (let i = 0; i < 5; i++) await south.publishAsync(SOUTH_DATA, `s${i}`, { qos: 1 });
    expect(await storedQueue(b, GW_NORTH_ID)).toEqual([]);

    if (mode === 'disk') {
      // what the file holds, read by SQLite itself after the broker closed it
      await b.close();
      const db = new Database(join(p.dir, 'broker.db'), { readonly: true });
      const rows = db.prepare('SELECT topic FROM subscriptions WHERE client_id = ?').pluck().all(GW_NORTH_ID);
      const out = db.prepare('SELECT count(*) FROM outgoing WHERE client_id = ?').pluck().get(GW_NORTH_ID);
      db.close();
      expect(rows).toEqual([NORTH_CMD]);
      expect(out).toBe(0);
      b = await brokerAt(p);
    }
    if (mode === 'redis') {
      // a second broker node on the same Redis reads the session from Redis, not from memory
      const other = await brokerAt(p);
      expect(await storedSubscriptions(other, GW_NORTH_ID)).toEqual([NORTH_CMD]);
    }

    const got: string[] = [];
    const back = await connect(
      tcpUrl(b),
      { username: 'gw-north', password: 'gw-north-password', clientId: GW_NORTH_ID, clean: false },
      (c) => c.on('message', (t) => got.push(t)),
    );
    open.push(back);
    await roundTrip(back, NORTH_PROBE);
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual([]);
  });

  it.skipIf(mode !== 'disk')(
    'a refused filter already in a stored session (left by an older broker) delivers nothing and is dropped at the next connect',
    async () => {
      const p = place(mode);
      // a session file as an older broker left it: the gateway's session holds `#`
      let b = await brokerAt(p);
      const gw = await as(b, 'gw-north', GW_NORTH_ID, false);
      expect(await subscribe(gw, [NORTH_CMD], 1)).toEqual([1]);
      await gw.endAsync();
      await b.close();
      const db = new Database(join(p.dir, 'broker.db'));
      db.prepare('INSERT INTO subscriptions (client_id, topic, qos) VALUES (?, ?, 1)').run(GW_NORTH_ID, '#');
      db.close();

      b = await brokerAt(p);
      const south = await as(b, 'gw-south', 'gz-south-gw-south');
      await south.publishAsync(SOUTH_DATA, 'leak', { qos: 1 });
      const got: string[] = [];
      const back = await connect(
        tcpUrl(b),
        { username: 'gw-north', password: 'gw-north-password', clientId: GW_NORTH_ID, clean: false },
        (c) => c.on('message', (t) => got.push(t)),
      );
      open.push(back);
      await roundTrip(back, NORTH_PROBE);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual([]);
      expect(await storedSubscriptions(b, GW_NORTH_ID)).toEqual([NORTH_CMD]);
      await south.publishAsync(SOUTH_DATA, 'leak-2', { qos: 1 });
      expect(await storedQueue(b, GW_NORTH_ID)).toEqual([]);
    },
  );
});

describe.each(modes)('%s mode: client ids are bound to identities', (mode) => {
  it('a gateway cannot resume the ingest’s session and acknowledge its queue: CONNACK 5, and the ingest gets every message', async () => {
    const p = place(mode);
    const b = await brokerAt(p);
    const ing = await as(b, 'ingest', INGEST_ID, false);
    expect(await subscribe(ing, DATA_FILTER, 1)).toEqual([1]);
    await ing.endAsync();
    const gw = await as(b, 'gw-north', GW_NORTH_ID);
    for (let i = 0; i < 5; i++) await gw.publishAsync(NORTH_DATA, `m${i}`, { qos: 1 });

    // the attacker: gw-south's password, the ingest's client id, clean=0, acks whatever comes
    const stolen: string[] = [];
    let code = 0;
    try {
      const evil = await connect(
        tcpUrl(b),
        { username: 'gw-south', password: 'gw-south-password', clientId: INGEST_ID, clean: false },
        (c) => c.on('message', (_t, payload) => stolen.push(payload.toString())),
      );
      open.push(evil);
    } catch (err) {
      code = (err as { code?: number }).code ?? -1;
    }
    expect(code).toBe(5);
    expect(stolen).toEqual([]);

    const got: string[] = [];
    const back = await connect(
      tcpUrl(b),
      { username: 'ingest', password: 'ingest-password', clientId: INGEST_ID, clean: false },
      (c) => c.on('message', (_t, payload) => got.push(payload.toString())),
    );
    open.push(back);
    await expect.poll(() => got.length, { timeout: 5000 }).toBe(5);
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('a gateway cannot wipe the ingest’s session with clean=1', async () => {
    const p = place(mode);
    const b = await brokerAt(p);
    const ing = await as(b, 'ingest', INGEST_ID, false);
    await subscribe(ing, DATA_FILTER, 1);
    await ing.endAsync();
    expect(await connackOf(b, 'gw-south', INGEST_ID, true)).toBe(5);
    expect(await storedSubscriptions(b, INGEST_ID)).toEqual([DATA_FILTER]);
    const gw = await as(b, 'gw-north', GW_NORTH_ID);
    await gw.publishAsync(NORTH_DATA, 'kept', { qos: 1 });
    const got = await as(b, 'ingest', INGEST_ID, false).then((c) => collect(c));
    await got.until(1);
    expect(got.got[0]?.payload).toBe('kept');
  });

  it('a gateway cannot kick another gateway off with its id, and no offline will is fired', async () => {
    const p = place(mode);
    const b = await brokerAt(p);
    const viewer = await as(b, 'root', 'root');
    const states = collect(viewer);
    await subscribe(viewer, 'gz/v1/+/+/state', 1);
    const victim = await connect(tcpUrl(b), {
      username: 'gw-north',
      password: 'gw-north-password',
      clientId: GW_NORTH_ID,
      will: { topic: 'gz/v1/north/gw-north/state', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    open.push(victim);
    let closes = 0;
    victim.on('close', () => closes++);
    for (let i = 0; i < 3; i++) expect(await connackOf(b, 'gw-south', GW_NORTH_ID)).toBe(5);
    await roundTrip(victim, NORTH_PROBE);
    await roundTrip(viewer, 'x/y');
    expect(closes).toBe(0);
    expect(victim.connected).toBe(true);
    expect(states.got.filter((m) => m.payload === 'offline')).toEqual([]);
  });

  it('one ingest user cannot take over another ingest user’s session, even though both may use ganzhi-ingest-* ids', async () => {
    const p = place(mode);
    const b = await brokerAt(p);
    const ing = await as(b, 'ingest', INGEST_ID, false);
    await subscribe(ing, DATA_FILTER, 1);
    // connected: refused
    expect(await connackOf(b, 'ingest-b', INGEST_ID, false)).toBe(5);
    expect(ing.connected).toBe(true);
    await ing.endAsync();
    // offline persistent session: refused too
    expect(await connackOf(b, 'ingest-b', INGEST_ID, true)).toBe(5);
    expect(await storedSubscriptions(b, INGEST_ID)).toEqual([DATA_FILTER]);
    // its own ids are fine
    expect(await connackOf(b, 'ingest-b', 'ganzhi-ingest-2', false)).toBe(0);
    expect(await connackOf(b, 'ingest', INGEST_ID, false)).toBe(0);
  });

  it('allows the documented id forms and refuses the rest with CONNACK 5', async () => {
    const b = await brokerAt(place(mode));
    for (const id of ['gz-north-gw-north', 'gz-north-gw-north.probe', 'gw-north', 'gw-north.tool-1']) {
      expect([id, await connackOf(b, 'gw-north', id)]).toEqual([id, 0]);
    }
    for (const id of [
      'gz-south-gw-south', // another gateway's agent id
      'gw-south',
      'gz-north-gw-north-x', // not a suffix form: ids may contain '-', so this could be another gateway's
      'ganzhi-ingest-1',
      'mqttjs_1234abcd', // a random id says nothing about who connects
      'root',
    ]) {
      expect([id, await connackOf(b, 'gw-north', id)]).toEqual([id, 5]);
    }
    expect(await connackOf(b, 'ingest', 'ganzhi-ingest-7')).toBe(0);
    expect(await connackOf(b, 'viewer-north', 'gz-north-gw-north')).toBe(5);
    expect(await connackOf(b, 'root', 'ganzhi-ingest-3')).toBe(5);
    expect(await connackOf(b, 'viewer-north', 'viewer-north.dash')).toBe(0);
    // an empty id with clean=1: the broker picks a random one nobody else can hold
    const anon = await connect(tcpUrl(b), { username: 'root', password: 'root-password', clientId: '' });
    open.push(anon);
    expect(anon.connected).toBe(true);
  });
});

describe('disk mode: session owners in the session file', () => {
  it('keep a persistent session’s owner across a restart, and free an id whose session left nothing (a crash before a clean session’s row was deleted)', async () => {
    const p = place('disk');
    let b = await brokerAt(p);
    const ing = await as(b, 'ingest', INGEST_ID, false);
    await subscribe(ing, DATA_FILTER, 1);
    await ing.endAsync();
    await b.close();
    // what a kill -9 can leave: the owner row of a clean session that had no state
    const db = new Database(join(p.dir, 'broker.db'));
    expect(db.prepare('SELECT user FROM session_owners WHERE client_id = ?').pluck().get(INGEST_ID)).toBe(
      'ingest',
    );
    db.prepare('INSERT INTO session_owners (client_id, user) VALUES (?, ?)').run('ganzhi-ingest-9', 'ingest');
    db.close();
    b = await brokerAt(p);
    expect(await connackOf(b, 'ingest-b', INGEST_ID, false)).toBe(5);
    expect(await connackOf(b, 'ingest-b', 'ganzhi-ingest-9', true)).toBe(0);
  });
});

describe('client id rules are the operator’s to set', () => {
  it('a broker config rule replaces the default forms of a role', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.clientIds = { ...cfg.clientIds, gateway: ['site-{district}-{gateway}'] };
    }, TEST_USERS);
    brokers.push(b);
    expect(await connackOf(b, 'gw-north', 'site-north-gw-north')).toBe(0);
    expect(await connackOf(b, 'gw-north', GW_NORTH_ID)).toBe(5);
  });

  it('anonymous clients (the demo) may use any id but cannot take over a session an authenticated user holds', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.allowAnonymous = true;
    }, TEST_USERS);
    brokers.push(b);
    const a = await connect(tcpUrl(b), { clientId: 'gz-north-demo-gw' });
    open.push(a);
    const ing = await as(b, 'ingest', INGEST_ID, false);
    await subscribe(ing, DATA_FILTER, 1);
    await ing.endAsync();
    let code = 0;
    try {
      open.push(await connect(tcpUrl(b), { clientId: INGEST_ID, clean: false }));
    } catch (err) {
      code = (err as { code?: number }).code ?? -1;
    }
    expect(code).toBe(5);
    expect(await storedSubscriptions(b, INGEST_ID)).toEqual([DATA_FILTER]);
  });
});

describe.skipIf(!redisBin.ok)('Redis mode, two broker nodes', () => {
  it('a session held through one node cannot be taken or wiped through another by a different user', async () => {
    const p = place('redis');
    const a = await brokerAt(p);
    const other = await brokerAt(p);
    const ing = await as(a, 'ingest', INGEST_ID, false);
    await subscribe(ing, DATA_FILTER, 1);
    expect(await connackOf(other, 'ingest-b', INGEST_ID, false)).toBe(5);
    expect(ing.connected).toBe(true);
    await ing.endAsync();
    expect(await connackOf(other, 'ingest-b', INGEST_ID, true)).toBe(5);
    expect(await storedSubscriptions(other, INGEST_ID)).toEqual([DATA_FILTER]);
  });
});
