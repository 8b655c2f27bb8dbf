/**
 * Bootstrap (issue 16) in process, through the real broker: a desired config with problems is
 * reported rejected with its paths and nothing is written; the agent keeps waiting and takes
 * the next good one. A bootstrap file with a missing credential names the reference.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigState, configHash, encodeDesiredConfig } from '@ganzhi/device-profiles';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { fetchDesiredConfig, readBootstrap } from '../src/fleet/bootstrap.js';
import { logger } from './helpers.js';
import { type FleetBroker, startFleetBroker } from './support/fleet-broker.js';

const dir = tempDir('ganzhi-fleet-boot-');
let fleet: FleetBroker;
let url: string;
let hub: MqttClient;
let states: ConfigState[];
const env = { GZ_TEST_BOOT_PASSWORD: 'gw-5-password' };

beforeAll(async () => {
  fleet = await startFleetBroker({ district: 'south', gateway: 'gw-5' });
  ({ url, hub, states } = fleet);
});

afterAll(async () => {
  await fleet?.close();
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
