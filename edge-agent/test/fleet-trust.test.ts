/**
 * Fleet trust, gateway side (issue 16), through the real broker and real MQTT sockets: a gateway
 * commissioned from a bootstrap file believes only a desired config the broker stamped. A
 * retained document an older broker kept (no `issuer`) is reported rejected and nothing is
 * written; another district's operator cannot push at all; the district's hub user can, and its
 * stamped document (issuer = the hub's user, onBehalfOf the person it names) is what the
 * gateway commissions itself from.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigState, configHash, decodeConfigState } from '@ganzhi/device-profiles';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emptyConfig,
  FileCredentialStore,
  hashPassword,
  type RunningBroker,
  startBroker,
  type UserEntry,
} from '../../broker/src/index.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import { fetchDesiredConfig, readBootstrap } from '../src/fleet/bootstrap.js';
import { NOT_STAMPED } from '../src/fleet/controller.js';
import { logger } from './helpers.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
const TOPIC = 'gz/v1/north/gw-7/config';
const dir = tempDir('ganzhi-fleet-trust-');
let broker: RunningBroker;
let url: string;
let watcher: MqttClient;
const states: ConfigState[] = [];
const env = { GZ_TEST_TRUST_PASSWORD: 'gw-7-password' };
const clients: MqttClient[] = [];

async function login(user: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    clientId: `${user}.trust`,
    username: user,
    password: `${user}-password`,
    reconnectPeriod: 0,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  const users: Record<string, UserEntry> = {
    'gw-7': { role: 'gateway', district: 'north', gateway: 'gw-7' },
    'op-south': { role: 'operator', districts: ['south'] },
    hub: { role: 'operator', districts: ['north', 'south'], delegate: true },
    root: { role: 'admin' },
  };
  for (const [name, u] of Object.entries(users)) u.hash = await hashPassword(`${name}-password`, CHEAP);
  broker = await startBroker(cfg, {
    logger: pino({ level: 'silent' }),
    credentials: new FileCredentialStore({ users }),
  });
  url = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;
  watcher = await login('root');
  watcher.on('message', (_t, payload) => {
    const s = decodeConfigState(payload);
    if (s.ok) states.push(s.value);
  });
  await watcher.subscribeAsync('gz/v1/north/gw-7/config-state', { qos: 1 });
});

afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => {});
  await broker?.close();
});

const config = (extra: Record<string, unknown> = {}) => ({
  gateway: 'gw-7',
  district: 'north',
  devices: [{ id: 'meter-1', profile: 'eastron-sdm120', endpoint: 'modbus-tcp://127.0.0.1:1502', unitId: 1 }],
  delivery: { mqtt: { url, username: 'gw-7', password: '${ENV:GZ_TEST_TRUST_PASSWORD}' } },
  ...extra,
});

/** What the broker retains on the gateway's config topic. */
async function retained(): Promise<Record<string, unknown> | undefined> {
  const store = (
    broker.aedes as unknown as {
      persistence: { createRetainedStream(p: string): AsyncIterable<{ topic: string; payload: Buffer }> };
    }
  ).persistence;
  let found: Record<string, unknown> | undefined;
  for await (const p of store.createRetainedStream(TOPIC))
    if (p.payload.length > 0) found = JSON.parse(p.payload.toString());
  return found;
}

describe('a gateway believes only a desired config the broker stamped', () => {
  it('rejects an unstamped retained document, is out of reach of another district, and commissions itself from the hub’s stamped push', async () => {
    // what a broker without fleet checks left in the retained store (written there directly:
    // fault injection — the broker itself stamps every push it lets through)
    const unstamped = config({ labels: ['unstamped'] });
    const store = (broker.aedes as unknown as { persistence: { storeRetained(p: object): Promise<void> } })
      .persistence;
    await store.storeRetained({
      cmd: 'publish',
      topic: TOPIC,
      payload: Buffer.from(
        JSON.stringify({ v: 1, version: 3, hash: configHash(unstamped), config: unstamped }),
      ),
      qos: 1,
      retain: true,
      dup: false,
      brokerId: 'old',
      brokerCounter: 1,
    });

    const bootFile = join(dir, 'boot.yaml');
    writeFileSync(
      bootFile,
      `gateway: gw-7\ndistrict: north\nbroker:\n  url: ${url}\n  username: gw-7\n  password: \${ENV:GZ_TEST_TRUST_PASSWORD}\n`,
    );
    const boot = readBootstrap(bootFile, env);
    const fetching = fetchDesiredConfig(boot, { logger, env });
    await waitFor('the unstamped document reported rejected', () =>
      states.find((s) => s.status === 'rejected'),
    );
    expect(states.find((s) => s.status === 'rejected')).toMatchObject({
      desiredVersion: 3,
      appliedVersion: 0,
      reason: NOT_STAMPED,
    });
    expect(existsSync(boot.configFile)).toBe(false);

    // another district's operator: the connection is closed, nothing retained changes
    const south = await login('op-south');
    const gone = new Promise<void>((r) => south.once('close', () => r()));
    south.publish(TOPIC, JSON.stringify({ v: 1, version: 9, hash: configHash(config()), config: config() }), {
      qos: 1,
      retain: true,
    });
    await gone;
    expect((await retained())?.version).toBe(3);
    expect(existsSync(boot.configFile)).toBe(false);

    // the hub's user pushes for a person, with a forged issuer: the broker's word is what arrives
    const good = config({ labels: ['street-7'] });
    const hub = await login('hub');
    await hub.publishAsync(
      TOPIC,
      JSON.stringify({
        v: 1,
        version: 4,
        hash: configHash(good),
        config: good,
        issuer: 'root',
        onBehalfOf: 'alice',
      }),
      { qos: 1, retain: true },
    );
    expect(await fetching).toBe(boot.configFile);
    expect(configHash(JSON.parse(readFileSync(boot.configFile, 'utf8')))).toBe(configHash(good));
    expect(await retained()).toMatchObject({ version: 4, issuer: 'hub', onBehalfOf: 'alice' });
  });
});
