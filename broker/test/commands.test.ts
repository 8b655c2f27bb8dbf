/**
 * Commands through the broker (issue 15), tried as an attacker would, through real sockets against
 * the real broker: who may command which devices, what the receiving gateway actually gets (the
 * broker stamps `issuer` and strips a forged `onBehalfOf`), results only from their own gateway,
 * no retained commands, refused subscriptions never stored (memory, disk and Redis modes), a
 * malformed-command flood dropped while other sessions carry on, and the security log.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ManualClock } from '@ganzhi/runtime';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { tempDir } from '../../test-support/process.js';
import type { RunningBroker, UserEntry } from '../src/index.js';
import {
  brokerPool,
  closed,
  collect,
  commandPayload,
  connect,
  endAll,
  inMode,
  type PersistenceMode,
  roundTrip,
  storedQueue,
  storedSubscriptions,
  subscribe,
  tcpUrl,
  USERS,
} from './helpers.js';
import { type RedisServer, startRedis } from './redis-fixture.js';

const USERS_WITH_OPERATORS: Record<string, UserEntry> = {
  ...USERS,
  'op-north': { role: 'operator', districts: ['north'] },
  hub: { role: 'operator', districts: ['north', 'south'], delegate: true },
};

const NORTH_LAMP = 'gz/v1/north/gw-north/lamp-1/cmd';
const SOUTH_PUMP = 'gz/v1/south/gw-south/pump-1/cmd';
const NORTH_RESULT = 'gz/v1/north/gw-north/lamp-1/result';
const SOUTH_RESULT = 'gz/v1/south/gw-south/pump-1/result';

const pool = brokerPool(USERS_WITH_OPERATORS);
const { open, brokers, start: commandBroker, as } = pool;
afterEach(pool.stopAll);

/** A gateway's command subscription, as the agent holds it, and what it receives. */
async function gatewayInbox(b: RunningBroker, gw: 'gw-north' | 'gw-south') {
  const c = await as(b, gw);
  const inbox = collect(c);
  const district = gw === 'gw-north' ? 'north' : 'south';
  expect(await subscribe(c, `gz/v1/${district}/${gw}/+/cmd`)).toEqual([1]);
  return { c, inbox, commands: () => inbox.got.map((m) => JSON.parse(m.payload) as Record<string, unknown>) };
}

/** Publishes a refused message and waits until the broker has closed the connection for it. */
async function refusedPublish(c: MqttClient, topic: string, payload: string, retain = false) {
  const gone = closed(c);
  c.publish(topic, payload, { qos: 1, retain }, () => {});
  await gone;
}

describe('who may command', () => {
  it('an operator commands its own districts; a cross-district command never reaches the other gateway and is logged without its payload', async () => {
    const { b, lines, text } = await commandBroker();
    const north = await gatewayInbox(b, 'gw-north');
    const south = await gatewayInbox(b, 'gw-south');
    const op = await as(b, 'op-north');

    await op.publishAsync(NORTH_LAMP, commandPayload('north-0001'), { qos: 1 });
    await north.inbox.until(1);
    expect(north.commands()[0]).toMatchObject({ id: 'north-0001', issuer: 'op-north' });

    // north's operator tries south's pump, at QoS 0 and QoS 1, and the gateway-level topic
    const marker = 'secret-marker-7f3a';
    for (const [topic, qos] of [
      [SOUTH_PUMP, 1],
      [SOUTH_PUMP, 0],
      ['gz/v1/south/gw-south/cmd', 1],
      ['gz/v1/north/gw-north/cmd', 1],
    ] as const) {
      const attacker = await as(b, 'op-north');
      const gone = closed(attacker);
      attacker.publish(topic, commandPayload(`south-${qos}-x1`, { note: marker }), { qos }, () => {});
      await gone;
    }
    // what south's gateway receives: only the next legitimate command (the hub may command south)
    const hub = await as(b, 'hub');
    await hub.publishAsync(SOUTH_PUMP, commandPayload('south-ok-01'), { qos: 1 });
    await south.inbox.until(1);
    await roundTrip(south.c, 'gz/v1/south/gw-south/probe/cmd');
    expect(south.commands().map((c) => c.id)).toEqual(['south-ok-01']);
    expect(north.commands().map((c) => c.id)).toEqual(['north-0001']);

    const denied = lines.filter((l) => l.security === 'acl_denied' && l.user === 'op-north');
    expect(denied.map((l) => l.what)).toEqual([
      SOUTH_PUMP,
      SOUTH_PUMP,
      'gz/v1/south/gw-south/cmd',
      'gz/v1/north/gw-north/cmd',
    ]);
    expect(denied[0]).toMatchObject({
      why: "command refused: district south is not among the operator's districts",
      ip: '127.0.0.1',
    });
    expect(denied[3]?.why).toMatch(/operators command devices only/);
    expect(text()).not.toContain(marker);
    expect(text()).not.toContain('op-north-password');
    expect(op.connected).toBe(true);
  });

  it('a viewer, the ingest and a gateway cannot publish commands, not even a gateway to itself', async () => {
    const { b, lines } = await commandBroker();
    const north = await gatewayInbox(b, 'gw-north');
    for (const [user, topic] of [
      ['viewer-north', NORTH_LAMP],
      ['ingest', NORTH_LAMP],
      ['gw-north', NORTH_LAMP],
      ['gw-north', 'gz/v1/north/gw-north/cmd'],
      ['gw-south', NORTH_LAMP],
    ] as const) {
      await refusedPublish(await as(b, user), topic, commandPayload(`${user}-cmd-1`));
    }
    const op = await as(b, 'op-north');
    await op.publishAsync(NORTH_LAMP, commandPayload('after-0001'), { qos: 1 });
    await north.inbox.until(1);
    await roundTrip(north.c, 'gz/v1/north/gw-north/probe/cmd');
    expect(north.commands().map((c) => c.id)).toEqual(['after-0001']);
    const whys = lines.filter((l) => l.security === 'acl_denied').map((l) => `${l.user}: ${l.why}`);
    expect(whys).toEqual([
      'viewer-north: command refused: the viewer role may not publish commands',
      'ingest: command refused: the ingest role may not publish commands',
      'gw-north: command refused: gateways never publish commands',
      'gw-north: command refused: gateways never publish commands',
      'gw-south: command refused: gateways never publish commands',
    ]);
  });
});

describe('operator client ids', () => {
  it('are the user’s own forms; the gateways’ and the ingest’s reserved forms and other users’ ids are refused (CONNACK 5)', async () => {
    const { b } = await commandBroker();
    const connackOf = async (clientId: string) => {
      try {
        await as(b, 'op-north', { clientId });
        return 0;
      } catch (err) {
        return (err as { code?: number }).code;
      }
    };
    expect(await connackOf('op-north')).toBe(0);
    expect(await connackOf('op-north.console')).toBe(0);
    expect(await connackOf('gz-north-gw-north')).toBe(5);
    expect(await connackOf('ganzhi-ingest-1')).toBe(5);
    expect(await connackOf('hub.commands')).toBe(5);
    expect(await connackOf('op-north-2')).toBe(5);
  });
});

describe('issuer stamping', () => {
  it.each([0, 1, 2] as const)(
    'QoS %i: a forged issuer is overwritten and a forged onBehalfOf stripped, as the gateway receives them',
    async (qos) => {
      const { b } = await commandBroker();
      const north = await gatewayInbox(b, 'gw-north');
      const op = await as(b, 'op-north');
      const hub = await as(b, 'hub');
      const root = await as(b, 'root');
      await op.publishAsync(
        NORTH_LAMP,
        commandPayload('forged-01', { issuer: 'root', onBehalfOf: 'mayor' }),
        {
          qos,
        },
      );
      await hub.publishAsync(
        NORTH_LAMP,
        commandPayload('forged-02', { issuer: 'root', onBehalfOf: 'alice' }),
        {
          qos,
        },
      );
      await hub.publishAsync(NORTH_LAMP, commandPayload('forged-03', { issuer: 'op-north' }), { qos });
      await root.publishAsync(NORTH_LAMP, commandPayload('forged-04', { issuer: 'hub', onBehalfOf: 'x' }), {
        qos,
      });
      await north.inbox.until(4);
      const byId = Object.fromEntries(north.commands().map((c) => [c.id, c]));
      expect(byId['forged-01']).toMatchObject({ issuer: 'op-north' });
      expect(byId['forged-01']).not.toHaveProperty('onBehalfOf');
      expect(byId['forged-02']).toMatchObject({ issuer: 'hub', onBehalfOf: 'alice' });
      expect(byId['forged-03']).toMatchObject({ issuer: 'hub' });
      expect(byId['forged-03']).not.toHaveProperty('onBehalfOf');
      expect(byId['forged-04']).toMatchObject({ issuer: 'root' });
      expect(byId['forged-04']).not.toHaveProperty('onBehalfOf');
      // the rest of the command is as sent
      expect(byId['forged-01']).toMatchObject({ v: 1, writes: [{ point: 'lamp', value: true }] });
      expect(b.metrics.commandsStamped).toBe(4);
    },
  );

  it('stamps what a persistent session receives after being offline, and the ingest audits the same', async () => {
    const { b } = await commandBroker();
    const gwId = 'gz-north-gw-north';
    const first = await as(b, 'gw-north', { clientId: gwId, clean: false });
    expect(await subscribe(first, 'gz/v1/north/gw-north/+/cmd')).toEqual([1]);
    await first.endAsync();
    const ingest = await as(b, 'ingest');
    const audit = collect(ingest);
    expect(await subscribe(ingest, ['gz/v1/+/+/+/cmd', 'gz/v1/+/+/+/result'])).toEqual([1, 1]);
    const op = await as(b, 'op-north');
    await op.publishAsync(NORTH_LAMP, commandPayload('offline-01', { issuer: 'root' }), { qos: 1 });
    await audit.until(1);
    expect(JSON.parse(audit.got[0]?.payload ?? '{}')).toMatchObject({ id: 'offline-01', issuer: 'op-north' });
    const got: string[] = [];
    const back = await connect(
      tcpUrl(b),
      { username: 'gw-north', password: 'gw-north-password', clientId: gwId, clean: false },
      (c) => c.on('message', (_t, p) => got.push(p.toString())),
    );
    open.push(back);
    await roundTrip(back, 'gz/v1/north/gw-north/probe/cmd');
    while (got.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect(got.map((p) => JSON.parse(p))).toMatchObject([{ id: 'offline-01', issuer: 'op-north' }]);
  });

  it('stamps "anonymous" on commands of an anonymous broker (--allow-anonymous)', async () => {
    const { b } = await commandBroker((cfg) => {
      cfg.allowAnonymous = true;
    });
    const gw = await connect(tcpUrl(b), { clientId: 'anon-gw' });
    open.push(gw);
    const inbox = collect(gw);
    await subscribe(gw, 'gz/v1/north/gw-north/+/cmd');
    const anon = await connect(tcpUrl(b), { clientId: 'anon-op' });
    open.push(anon);
    await anon.publishAsync(NORTH_LAMP, commandPayload('anon-0001', { issuer: 'root' }), { qos: 1 });
    await inbox.until(1);
    expect(JSON.parse(inbox.got[0]?.payload ?? '{}')).toMatchObject({ id: 'anon-0001', issuer: 'anonymous' });
  });
});

describe('results', () => {
  it('a gateway publishes results only as itself; its district operator and the ingest receive them', async () => {
    const { b, lines } = await commandBroker();
    const ingest = await as(b, 'ingest');
    const audit = collect(ingest);
    expect(await subscribe(ingest, 'gz/v1/+/+/+/result')).toEqual([1]);
    const op = await as(b, 'op-north');
    const opSeen = collect(op);
    expect(await subscribe(op, 'gz/v1/north/+/+/result')).toEqual([1]);

    // gateway A (north) speaks as gateway B (south), and as another north gateway
    await refusedPublish(await as(b, 'gw-north'), SOUTH_RESULT, '{"v":1,"id":"fake-result"}');
    await refusedPublish(await as(b, 'gw-north'), 'gz/v1/north/gw-other/x/result', '{"v":1,"id":"fake-2"}');
    // then the real ones
    const gwN = await as(b, 'gw-north');
    const gwS = await as(b, 'gw-south');
    await gwS.publishAsync(SOUTH_RESULT, 'south-result', { qos: 1 });
    await gwN.publishAsync(NORTH_RESULT, 'north-result', { qos: 1 });
    await audit.until(2);
    await opSeen.until(1);
    await roundTrip(op, 'gz/v1/north/+/+/result');
    expect(audit.got.map((m) => m.payload).sort()).toEqual(['north-result', 'south-result']);
    expect(opSeen.got.map((m) => m.payload)).toEqual(['north-result']);
    expect(
      lines.filter((l) => l.security === 'acl_denied' && l.user === 'gw-north').map((l) => l.what),
    ).toEqual([SOUTH_RESULT, 'gz/v1/north/gw-other/x/result']);
  });
});

describe('commands and the per-gateway device limit', () => {
  it('commands to made-up device ids do not use up the gateway’s device budget', async () => {
    const { b } = await commandBroker((cfg) => {
      cfg.limits.maxDevicesPerGateway = 3;
    });
    const ingest = await as(b, 'ingest');
    const data = collect(ingest);
    await subscribe(ingest, 'gz/v1/+/+/+/data');
    const op = await as(b, 'op-north');
    for (let i = 0; i < 10; i++)
      await op.publishAsync(`gz/v1/north/gw-north/fake-${i}/cmd`, commandPayload(`fake-dev-${i}`), {
        qos: 1,
      });
    const gw = await as(b, 'gw-north');
    for (const dev of ['pm1', 'pm2', 'pm3'])
      await gw.publishAsync(`gz/v1/north/gw-north/${dev}/data`, dev, { qos: 1 });
    await data.until(3);
    expect(data.got.map((m) => m.payload)).toEqual(['pm1', 'pm2', 'pm3']);
    expect(b.metrics.gatewayLimitDrops).toBe(0);
    expect(b.metrics.commandsStamped).toBe(10);
  });
});

describe('retained commands', () => {
  it('are refused for everyone; a will on a command topic is refused at CONNECT; admin may only clear', async () => {
    const { b, lines } = await commandBroker();
    const north = await gatewayInbox(b, 'gw-north');
    await refusedPublish(await as(b, 'op-north'), NORTH_LAMP, commandPayload('retained-01'), true);
    await refusedPublish(await as(b, 'root'), NORTH_LAMP, commandPayload('retained-02'), true);
    await refusedPublish(await as(b, 'root'), 'gz/v1/north/gw-north/cmd', 'gateway-level', true);
    await expect(
      connect(tcpUrl(b), {
        username: 'op-north',
        password: 'op-north-password',
        clientId: 'op-north.will',
        will: { topic: NORTH_LAMP, payload: Buffer.from(commandPayload('will-0001')), qos: 1, retain: false },
      }),
    ).rejects.toThrow(/Not authorized/i);

    // nothing is retained, and nothing reached the gateway
    const retained: string[] = [];
    const store = (
      b.aedes as unknown as {
        persistence: { createRetainedStream(p: string): AsyncIterable<{ topic: string }> };
      }
    ).persistence;
    for await (const p of store.createRetainedStream('gz/v1/#')) retained.push(p.topic);
    expect(retained).toEqual([]);

    // admin's empty retained message (clearing one an older broker kept) is never delivered
    const root = await as(b, 'root');
    await root.publishAsync(NORTH_LAMP, '', { qos: 1, retain: true });
    await root.publishAsync(NORTH_LAMP, commandPayload('live-00001'), { qos: 1 });
    await north.inbox.until(1);
    await roundTrip(north.c, 'gz/v1/north/gw-north/probe/cmd');
    expect(north.commands().map((c) => c.id)).toEqual(['live-00001']);
    const late = await gatewayInbox(b, 'gw-north');
    await roundTrip(late.c, 'gz/v1/north/gw-north/probe/cmd');
    expect(late.inbox.got).toEqual([]);

    const whys = lines.filter((l) => l.security === 'acl_denied').map((l) => l.why);
    expect(whys.filter((w) => /retained command refused/.test(String(w)))).toHaveLength(3);
    expect(whys).toContain('will topic not allowed');
  });

  it('a retained command an older broker kept is never delivered to a subscribing gateway', async () => {
    const { b } = await commandBroker();
    // what an older broker left in the retained store (written there directly: fault injection)
    const store = (b.aedes as unknown as { persistence: { storeRetained(p: object): Promise<void> } })
      .persistence;
    await store.storeRetained({
      cmd: 'publish',
      topic: NORTH_LAMP,
      payload: Buffer.from(commandPayload('stale-0001')),
      qos: 1,
      retain: true,
      dup: false,
      brokerId: 'old',
      brokerCounter: 1,
    });
    const north = await gatewayInbox(b, 'gw-north');
    await roundTrip(north.c, 'gz/v1/north/gw-north/probe/cmd');
    const op = await as(b, 'op-north');
    await op.publishAsync(NORTH_LAMP, commandPayload('fresh-0001'), { qos: 1 });
    await north.inbox.until(1);
    expect(north.commands().map((c) => c.id)).toEqual(['fresh-0001']);
  });
});

describe('a malformed command flood from an operator', () => {
  it('is acknowledged and dropped, logged within the rate limit, the broker stays up and other sessions are unaffected', async () => {
    // the security log's rate limit runs on this clock: it stands still during the flood
    const clock = new ManualClock(1_000_000);
    const { b, lines, text } = await commandBroker((cfg) => {
      cfg.limits.maxPacketBytes = 64 * 1024;
    }, clock);
    const north = await gatewayInbox(b, 'gw-north');
    const ingest = await as(b, 'ingest');
    const data = collect(ingest);
    await subscribe(ingest, 'gz/v1/+/+/+/data');
    const gwS = await as(b, 'gw-south');
    const op = await as(b, 'op-north');

    const secret = 'hunter2-in-a-payload';
    const bad: (string | Buffer)[] = [
      `not json ${secret}`,
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      '',
      'null',
      '[]',
      '{"__proto__":{"polluted":1}}',
      commandPayload('x'), // id too short
      commandPayload('dup-point-1', {
        writes: [
          { point: 'a', value: 1 },
          { point: 'a', value: 2 },
        ],
      }),
      // JSON.parse reads 1e400 as Infinity
      commandPayload('nan-value-1').replace('"value":true', '"value":1e400'),
      commandPayload('extra-field', { secret }),
      commandPayload('too-long-ttl', { issued: 0, expires: 10 * 24 * 3600 * 1000 }),
      `{"v":1,"id":"deep-nest-1","writes":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      'x'.repeat(60_000),
    ];
    const rounds = 100;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const p of bad) sends.push(op.publishAsync(NORTH_LAMP, p, { qos: (i % 2) as 0 | 1 }));
      // meanwhile south's data flows to the ingest
      if (i % 10 === 0) sends.push(gwS.publishAsync('gz/v1/south/gw-south/pm1/data', `d${i}`, { qos: 1 }));
    }
    await Promise.all(sends);
    expect(op.connected).toBe(true);
    await data.until(rounds / 10);
    expect(data.got.map((m) => m.payload)).toEqual(
      Array.from({ length: rounds / 10 }, (_, i) => `d${i * 10}`),
    );

    // the operator's next valid command is the only thing the gateway ever received
    await op.publishAsync(NORTH_LAMP, commandPayload('valid-after'), { qos: 1 });
    await north.inbox.until(1);
    await roundTrip(north.c, 'gz/v1/north/gw-north/probe/cmd');
    expect(north.commands().map((c) => c.id)).toEqual(['valid-after']);
    expect(b.metrics.commandsRefused).toBe(rounds * bad.length);
    expect(b.metrics.commandsStamped).toBe(1);

    // the log: the burst (20 lines), the rest counted; the next line, later, says how many
    const refused = () => lines.filter((l) => l.security === 'command_refused');
    expect(refused()).toHaveLength(20);
    expect(refused()[0]).toMatchObject({ user: 'op-north', what: NORTH_LAMP });
    expect(String(refused()[0]?.why)).toMatch(
      /^invalid command: payload is not JSON: acknowledged, dropped$/,
    );
    expect(refused().find((l) => l.commandId === 'dup-point-1')?.why).toMatch(/written twice/);
    clock.advance(1000);
    await op.publishAsync(NORTH_LAMP, 'one more', { qos: 1 });
    expect(refused()).toHaveLength(21);
    expect(refused()[20]).toMatchObject({ suppressed: rounds * bad.length - 20 });
    const total = rounds * bad.length + 1;
    expect(b.metricsText()).toContain(`gz_broker_security_events_total{event="command_refused"} ${total}`);
    expect(b.metricsText()).toContain(`gz_broker_commands_total{result="refused"} ${total}`);
    expect(text()).not.toContain(secret);

    // the broker is up: a new session connects and commands
    const later = await as(b, 'hub');
    await later.publishAsync(NORTH_LAMP, commandPayload('later-0001'), { qos: 1 });
    await north.inbox.until(2);
  });
});

// Persistent sessions: a refused subscription of an operator is never stored (issue 13, finding 1,
// for the new role), in every persistence mode.
const redisBin = peer('redis-server', 'redis-server');
const modes: PersistenceMode[] = redisBin.ok ? ['memory', 'disk', 'redis'] : ['memory', 'disk'];
let redis: RedisServer | undefined;
beforeAll(async () => {
  if (redisBin.ok) redis = await startRedis(redisBin.path);
});
afterAll(async () => {
  await redis?.stop();
});
let nextDb = 7;

describe.each(modes)('%s mode: an operator subscribing beyond its districts', (mode) => {
  it('gets 0x80 for gz/v1/# and other districts’ results, and only its own district’s results are stored, queued and delivered', async () => {
    const dir = tempDir(`gz-cmd-${mode}-`);
    const where = { dir, ...(redis ? { redisUrl: redis.url } : {}), redisDb: (nextDb++ % 15) + 1 };
    let { b } = await commandBroker(inMode(mode, where));
    const opId = 'op-north.console';
    const op = await as(b, 'op-north', { clientId: opId, clean: false });
    expect(
      await subscribe(
        op,
        [
          NORTH_RESULT.replace('lamp-1', '+').replace('gw-north', '+'),
          'gz/v1/#',
          'gz/v1/south/+/+/result',
          'gz/v1/+/+/+/result',
          '#',
        ],
        1,
      ),
    ).toEqual([1, 128, 128, 128, 128]);
    expect(await storedSubscriptions(b, opId)).toEqual(['gz/v1/north/+/+/result']);
    await op.endAsync();
    open.splice(open.indexOf(op), 1);

    // while the operator is away, both gateways answer
    const gwS = await as(b, 'gw-south');
    const gwN = await as(b, 'gw-north');
    await gwS.publishAsync(SOUTH_RESULT, 'south-result', { qos: 1 });
    await gwN.publishAsync(NORTH_RESULT, 'north-result', { qos: 1 });
    expect(await storedQueue(b, opId)).toEqual([NORTH_RESULT]);

    if (mode === 'disk') {
      await endAll(...open.splice(0));
      await b.close();
      brokers.splice(brokers.indexOf(b), 1);
      const db = new Database(join(dir, 'broker.db'), { readonly: true });
      const subs = db.prepare('SELECT topic FROM subscriptions WHERE client_id = ?').pluck().all(opId);
      const queued = db.prepare('SELECT count(*) FROM outgoing WHERE client_id = ?').pluck().get(opId);
      db.close();
      expect(subs).toEqual(['gz/v1/north/+/+/result']);
      expect(queued).toBe(1);
      ({ b } = await commandBroker(inMode(mode, where)));
    }

    const got: string[] = [];
    const back = await connect(
      tcpUrl(b),
      { username: 'op-north', password: 'op-north-password', clientId: opId, clean: false },
      (c) => c.on('message', (t) => got.push(t)),
    );
    open.push(back);
    await roundTrip(back, 'gz/v1/north/+/+/result');
    while (got.length < 1) await new Promise((r) => setTimeout(r, 10));
    await roundTrip(back, 'gz/v1/north/+/+/result');
    expect(got).toEqual([NORTH_RESULT]);
  });
});

// Cross-check with the Eclipse clients (Debian mosquitto-clients): a forged issuer sent by
// mosquitto_pub arrives stamped at mosquitto_sub; a cross-district one never arrives.
const mosqPub = peer('mosquitto_pub', 'mosquitto-clients');
const mosqSub = peer('mosquitto_sub', 'mosquitto-clients');

function run(bin: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

describe.skipIf(!mosqPub.ok || !mosqSub.ok)('mosquitto-clients', () => {
  it('mosquitto_pub with a forged issuer → mosquitto_sub on the gateway receives the stamped command; south’s never arrives', async () => {
    const { b } = await commandBroker();
    const port = String(b.addresses.tcp?.port ?? 0);
    const subArgs = (user: string, topic: string) => [
      '-p',
      port,
      '-u',
      user,
      '-P',
      `${user}-password`,
      '-i',
      `${user}.mosq-sub`,
      '-t',
      topic,
      '-q',
      '1',
      '-C',
      '1',
      '-W',
      '10',
    ];
    const northSub = run(mosqSub.path, subArgs('gw-north', 'gz/v1/north/gw-north/+/cmd'));
    const southSub = run(mosqSub.path, [...subArgs('gw-south', 'gz/v1/south/gw-south/+/cmd')]);
    while (
      b.clients().filter((c) => c.clientId.endsWith('.mosq-sub') && c.subscriptions.length > 0).length < 2
    )
      await new Promise((r) => setTimeout(r, 20));
    const pubAs = (topic: string, payload: string) =>
      run(mosqPub.path, [
        '-p',
        port,
        '-u',
        'op-north',
        '-P',
        'op-north-password',
        '-i',
        `op-north.mosq-${pool.nextId()}`,
        '-t',
        topic,
        '-q',
        '1',
        '-m',
        payload,
      ]);
    // refused: the broker closes the connection (MQTT 3.1.1 has no negative PUBACK)
    await pubAs(SOUTH_PUMP, commandPayload('mosq-south-1'));
    expect(
      (await pubAs(NORTH_LAMP, commandPayload('mosq-north-1', { issuer: 'root', onBehalfOf: 'mayor' }))).code,
    ).toBe(0);
    const n = await northSub;
    expect(n.code).toBe(0);
    const cmd = JSON.parse(n.out.trim());
    expect(cmd).toMatchObject({ id: 'mosq-north-1', issuer: 'op-north' });
    expect(cmd).not.toHaveProperty('onBehalfOf');
    // the hub's legitimate command is the one south's mosquitto_sub receives first (and only)
    const hub = await as(b, 'hub');
    await hub.publishAsync(SOUTH_PUMP, commandPayload('hub-south-1'), { qos: 1 });
    const s = await southSub;
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out.trim())).toMatchObject({ id: 'hub-south-1', issuer: 'hub' });
  });
});
