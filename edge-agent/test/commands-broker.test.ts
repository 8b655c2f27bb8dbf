/**
 * Commands through OUR broker (@ganzhi/broker, as an operator sets it up: users, district ACL,
 * client ids bound to identities, no anonymous access): the gateway logs in as its gateway
 * user, subscribes its own cmd topics on a persistent session and publishes its results (the
 * ACL allows a gateway its own `result` topics). The hub side is an OPERATOR-STAND-IN: an
 * admin user setting `issuer` itself, until the operator role with the broker's stamping
 * (built in parallel) is on main. The device is the FAKE fault-injection driver.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CredentialsFile,
  emptyConfig,
  FileCredentialStore,
  hashPassword,
  type RunningBroker,
  startBroker,
  type UserEntry,
} from '@ganzhi/broker';
import { type CommandResult, decodeCommandResult } from '@ganzhi/device-profiles/contract';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load-config.js';
import { DriverRegistry } from '../src/drivers/registry.js';
import { type GatewayHandle, runGateway } from '../src/run-gateway.js';
import { FakeWriteDriverControl, fakeRegistryLoaders } from './fixtures/fake-write-driver.mjs';
import { logger } from './helpers.js';

let broker: RunningBroker;
let url = '';
let hub: MqttClient;
let gw: GatewayHandle;
const control = new FakeWriteDriverControl();
const results: CommandResult[] = [];

async function until<T>(what: string, f: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  const users: Record<string, UserEntry> = {
    'gw-real': { role: 'gateway', district: 'north', gateway: 'gw-real' } as UserEntry,
    'op-admin': { role: 'admin' } as UserEntry,
  };
  const creds: CredentialsFile = { users: {} };
  for (const [name, e] of Object.entries(users))
    creds.users[name] = {
      ...e,
      hash: await hashPassword(`${name}-password`, { N: 1024, r: 8, p: 1 }),
    } as UserEntry;
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  broker = await startBroker(cfg, { logger, credentials: new FileCredentialStore(creds) });
  const a = broker.addresses.tcp;
  if (!a) throw new Error('no TCP listener');
  url = `mqtt://${a.host}:${a.port}`;
  hub = await mqtt.connectAsync(url, {
    clientId: 'op-admin',
    username: 'op-admin',
    password: 'op-admin-password',
  });
  hub.on('message', (_t, p) => {
    const r = decodeCommandResult(p);
    if (r.ok) results.push(r.value);
  });
  await hub.subscribeAsync('gz/v1/north/+/+/result', { qos: 1 });

  const dir = mkdtempSync(join(tmpdir(), 'ganzhi-cmd-broker-'));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    [
      'gateway: gw-real',
      'district: north',
      'stateDir: ./state',
      'devices:',
      '  - { id: light-1, profile: streetlight-controller, endpoint: "modbus-tcp://127.0.0.1:1502", unitId: 1, pollIntervalMs: 60000 }',
      'delivery:',
      `  mqtt: { url: "${url}", username: gw-real, password: "\${ENV:GW_PW}", reconnect: { initialMs: 50, maxMs: 300 } }`,
      '  buffer: { fsync: never }',
      'http: { port: 0 }',
    ].join('\n'),
  );
  const loaded = loadConfigFile(file, { env: { GW_PW: 'gw-real-password' } });
  expect(loaded.problems).toEqual([]);
  gw = await runGateway(loaded, {
    logger,
    httpPort: 0,
    drivers: new DriverRegistry(fakeRegistryLoaders(control)),
  });
  await until('commands subscribed', () => (gw.uplink?.counters.commandSubscriptions ?? 0) > 0);
});
afterAll(async () => {
  await gw?.stop(500);
  await hub?.endAsync();
  await broker?.close();
});

describe('commands through the Ganzhi broker', () => {
  it('the gateway user receives its command and its result reaches the hub; a repeat is not written again', async () => {
    const cmd = {
      v: 1,
      id: `broker-${Date.now()}`,
      writes: [{ point: 'dim_level', value: 55 }],
      expires: Date.now() + 60_000,
      issuer: 'op-standin',
    };
    await hub.publishAsync('gz/v1/north/gw-real/light-1/cmd', JSON.stringify(cmd), { qos: 1 });
    const r = await until('result', () => results.find((x) => x.id === cmd.id));
    expect(r.outcomes[0]).toMatchObject({ point: 'dim_level', outcome: 'ok', requested: 55 });
    await hub.publishAsync('gz/v1/north/gw-real/light-1/cmd', JSON.stringify(cmd), { qos: 1 });
    await until('repeat', () => results.find((x) => x.id === cmd.id && x.repeat));
    expect(control.calls).toHaveLength(1);
  });

  it('a command for another gateway never reaches this one', async () => {
    const other = {
      v: 1,
      id: `other-${Date.now()}`,
      writes: [{ point: 'lamp_on', value: true }],
      expires: Date.now() + 60_000,
      issuer: 'op-standin',
    };
    await hub.publishAsync('gz/v1/north/gw-other/light-1/cmd', JSON.stringify(other), { qos: 1 });
    const mine = { ...other, id: `mine-${Date.now()}` };
    await hub.publishAsync('gz/v1/north/gw-real/light-1/cmd', JSON.stringify(mine), { qos: 1 });
    await until('result', () => results.find((x) => x.id === mine.id));
    expect(results.find((x) => x.id === other.id)).toBeUndefined();
    expect(control.calls.map((c) => c.writes[0]?.point)).toEqual(['dim_level', 'lamp_on']);
  });
});
