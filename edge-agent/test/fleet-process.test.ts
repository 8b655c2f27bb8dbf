/**
 * Fleet config (issue 16) with the agent as a real child process (`ganzhi-agent run`): a
 * gateway commissioned from a bootstrap file only, and kill -9 at each apply step (the
 * test-only hook GZ_FLEET_TEST_CRASH_AT kills the agent with SIGKILL there). After each kill
 * the config file is the old document or the new one — never a mix — and the restarted
 * agent ends on the desired version.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfigState, configHash, type DataBatch, encodeDesiredConfig } from '@ganzhi/device-profiles';
import type { Simulation } from '@ganzhi/simulators';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { type FleetBroker, startFleetBroker } from './support/fleet-broker.js';
import { meterAgentConfig, startMeters } from './support/fleet-gateway.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = tempDir('ganzhi-fleet-proc-');
const bootFile = join(dir, 'bootstrap.yaml');
const configFile = join(dir, 'gateway.json');
let fleet: FleetBroker;
let url: string;
let sim: Simulation;
let hub: MqttClient;
let states: ConfigState[];
let batches: DataBatch[];
const children: ChildProcess[] = [];

function agent(env: Record<string, string> = {}): { child: ChildProcess; exited: Promise<string | null> } {
  const child = spawn(process.execPath, [cli, 'run', '--bootstrap', bootFile, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GZ_TEST_GW_PASSWORD: 'gw-9-password', ...env },
  });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  children.push(child);
  const exited = new Promise<string | null>((r) =>
    child.on('exit', (_code, signal) => r(signal ?? `exit ${_code}: ${err.slice(-500)}`)),
  );
  return { child, exited };
}

const config = (poll: number, mqtt: Record<string, unknown> = {}): Record<string, unknown> =>
  meterAgentConfig({
    district: 'north',
    gateway: 'gw-9',
    sim,
    url,
    passwordEnv: 'GZ_TEST_GW_PASSWORD',
    pollIntervalMs: poll,
    mqtt,
    http: { enabled: false },
  });

async function push(version: number, cfg: Record<string, unknown>): Promise<void> {
  await hub.publishAsync('gz/v1/north/gw-9/config', encodeDesiredConfig({ version, config: cfg }), {
    qos: 1,
    retain: true,
  });
}

const fileHash = () => configHash(JSON.parse(readFileSync(configFile, 'utf8')));
const applied = (v: number) =>
  waitFor(
    `config-state applied v${v}`,
    () => states.some((s) => s.status === 'applied' && s.appliedVersion === v),
    30_000,
  );

beforeAll(async () => {
  fleet = await startFleetBroker({ district: 'north', gateway: 'gw-9' }, { data: true });
  ({ url, hub, states, batches } = fleet);
  sim = await startMeters(dir, 9, [5]);
  writeFileSync(
    bootFile,
    `gateway: gw-9\ndistrict: north\nbroker:\n  url: ${url}\n  username: gw-9\n  password: \${ENV:GZ_TEST_GW_PASSWORD}\nconfig: gateway.json\n`,
  );
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sim?.stop();
  await fleet?.close();
});

describe('fleet, agent as a process', () => {
  it('commissions a gateway from a bootstrap file only, then kill -9 at each apply step leaves old or new', async () => {
    // 1. bootstrap: the hub has the desired config (retained) before the gateway exists
    const v1 = config(200);
    await push(1, v1);
    let a = agent();
    await applied(1);
    expect(fileHash()).toBe(configHash(v1));
    await waitFor('data from the bootstrapped gateway', () => batches.length > 2, 30_000);

    // 2. kill -9 before the write: the old config stays, the restart applies the push
    a.child.kill('SIGKILL');
    await a.exited;
    a = agent({ GZ_FLEET_TEST_CRASH_AT: 'before-write' });
    const v2 = config(150);
    await waitFor('connected', () => states.length > 1 && batches.length > 4, 30_000);
    await push(2, v2);
    expect(await a.exited).toBe('SIGKILL');
    expect(fileHash()).toBe(configHash(v1));
    a = agent();
    await applied(2);
    expect(fileHash()).toBe(configHash(v2));

    // 3. kill -9 after the write: the new config is there, and the restart knows it is v3
    a.child.kill('SIGKILL');
    await a.exited;
    const v3 = config(120);
    a = agent({ GZ_FLEET_TEST_CRASH_AT: 'after-write' });
    await push(3, v3);
    expect(await a.exited).toBe('SIGKILL');
    expect(fileHash()).toBe(configHash(v3));
    a = agent();
    await applied(3);
    const record = JSON.parse(readFileSync(join(dir, 'state', 'fleet.json'), 'utf8'));
    expect(record).toMatchObject({ appliedVersion: 3, appliedHash: configHash(v3) });
    expect(record.pending).toBeUndefined();

    // 4. kill -9 during the uplink trial: nothing written yet, the old config runs after restart
    a.child.kill('SIGKILL');
    await a.exited;
    const v4 = config(120, { keepaliveS: 25 });
    a = agent({ GZ_FLEET_TEST_CRASH_AT: 'during-trial' });
    await push(4, v4);
    expect(await a.exited).toBe('SIGKILL');
    expect(fileHash()).toBe(configHash(v3));
    a = agent();
    await applied(4);
    expect(fileHash()).toBe(configHash(v4));

    // the stream of batches is still whole: the durable buffer lost nothing across the kills
    a.child.kill('SIGTERM');
    expect(await a.exited).toMatch(/SIGTERM|exit 0/);
    const seqs = [...new Set(batches.map((b) => b.seq))].sort((x, y) => x - y);
    expect(seqs[0]).toBe(0);
    const gaps = seqs.filter((s, i) => i > 0 && s !== (seqs[i - 1] as number) + 1);
    expect(gaps).toEqual([]);
  }, 180_000);
});
