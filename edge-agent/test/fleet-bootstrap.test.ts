/**
 * Bootstrap (issue 16) in process, through the real broker: a desired config with problems is
 * reported rejected with its paths and nothing is written; the agent keeps waiting and takes
 * the next good one. A bootstrap file with a missing credential names the reference.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ConfigState,
  configHash,
  decodeConfigState,
  encodeDesiredConfig,
} from '@ganzhi/device-profiles';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emptyConfig,
  FileCredentialStore,
  hashPassword,
  type RunningBroker,
  startBroker,
} from '../../broker/src/index.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import { fetchDesiredConfig, readBootstrap } from '../src/fleet/bootstrap.js';
import { logger } from './helpers.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
const dir = tempDir('ganzhi-fleet-boot-');
let broker: RunningBroker;
let url: string;
let hub: MqttClient;
const states: ConfigState[] = [];
const env = { GZ_TEST_BOOT_PASSWORD: 'gw-5-password' };

beforeAll(async () => {
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  broker = await startBroker(cfg, {
    logger: pino({ level: 'silent' }),
    credentials: new FileCredentialStore({
      users: {
        'gw-5': {
          role: 'gateway',
          district: 'south',
          gateway: 'gw-5',
          hash: await hashPassword('gw-5-password', CHEAP),
        },
        root: { role: 'admin', hash: await hashPassword('root-password', CHEAP) },
      },
    }),
  });
  url = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;
  hub = await mqtt.connectAsync(url, { clientId: 'root.hub', username: 'root', password: 'root-password' });
  hub.on('message', (_t, payload) => {
    const s = decodeConfigState(payload);
    if (s.ok) states.push(s.value);
  });
  await hub.subscribeAsync('gz/v1/south/gw-5/config-state', { qos: 1 });
});

afterAll(async () => {
  await hub?.endAsync();
  await broker?.close();
});

const good = () => ({
  gateway: 'gw-5',
  district: 'south',
  devices: [{ id: 'meter-1', profile: 'eastron-sdm120', endpoint: 'modbus-tcp://127.0.0.1:1502', unitId: 1 }],
  delivery: { mqtt: { url, username: 'gw-5', password: '${ENV:GZ_TEST_BOOT_PASSWORD}' } },
});

describe('bootstrap', () => {
  it('names a missing credential reference in the bootstrap file, never a value', () => {
    const f = join(dir, 'boot-missing.yaml');
    writeFileSync(
      f,
      `gateway: gw-5\ndistrict: south\nbroker:\n  url: ${url}\n  password: \${ENV:GZ_NOT_SET_ANYWHERE}\n`,
    );
    expect(() => readBootstrap(f, {})).toThrow(
      /broker\.password: environment variable GZ_NOT_SET_ANYWHERE is not set/,
    );
    writeFileSync(f, 'gateway: GW 5\nbroker: {}\n');
    expect(() => readBootstrap(f, {})).toThrow(/gateway: .*district: .*broker\.url/);
  });

  it('reports a bad desired config with its problems, writes nothing, and takes the next good one', async () => {
    const bootFile = join(dir, 'boot.yaml');
    writeFileSync(
      bootFile,
      `gateway: gw-5\ndistrict: south\nbroker:\n  url: ${url}\n  username: gw-5\n  password: \${ENV:GZ_TEST_BOOT_PASSWORD}\n`,
    );
    const boot = readBootstrap(bootFile, env);
    const bad = {
      ...good(),
      devices: [{ id: 'meter-1', profile: 'no-such-profile', endpoint: 'modbus-tcp://127.0.0.1:1502' }],
    };
    await hub.publishAsync('gz/v1/south/gw-5/config', encodeDesiredConfig({ version: 1, config: bad }), {
      qos: 1,
      retain: true,
    });
    const fetching = fetchDesiredConfig(boot, { logger, env });
    await waitFor('the rejection reported', () => states.find((s) => s.status === 'rejected'));
    const rejected = states.find((s) => s.status === 'rejected');
    expect(rejected).toMatchObject({ desiredVersion: 1, appliedVersion: 0 });
    expect(rejected?.problems?.[0]?.path).toMatch(/^devices\[0\]\.profile/);
    expect(existsSync(boot.configFile)).toBe(false);
    const cfg = good();
    await hub.publishAsync('gz/v1/south/gw-5/config', encodeDesiredConfig({ version: 2, config: cfg }), {
      qos: 1,
      retain: true,
    });
    expect(await fetching).toBe(boot.configFile);
    expect(configHash(JSON.parse(readFileSync(boot.configFile, 'utf8')))).toBe(configHash(cfg));
    // the secret stayed a reference on disk
    expect(readFileSync(boot.configFile, 'utf8')).not.toContain('gw-5-password');
    expect(JSON.parse(readFileSync(join(dir, 'state', 'fleet.json'), 'utf8')).pending).toMatchObject({
      version: 2,
    });
  });
});
