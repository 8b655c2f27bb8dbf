/**
 * Fleet config (issue 16), gateway side, through the real Ganzhi broker (an admin user pushes
 * the retained desired config; the broker checks and stamps it, broker/test/fleet-config.test.ts
 * covers who may push), the real
 * agent (`runGateway`) and a Modbus TCP simulator. The hub side is a plain subscriber that
 * counts the data batches' sequence numbers (a gap would be data lost across an apply).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigState, configHash, type DataBatch, encodeDesiredConfig } from '@ganzhi/device-profiles';
import type { Simulation } from '@ganzhi/simulators';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { type GatewayHandle, runGateway } from '../src/run-gateway.js';
import { logger } from './helpers.js';
import { type FleetBroker, startFleetBroker } from './support/fleet-broker.js';
import { meterAgentConfig, startMeters } from './support/fleet-gateway.js';

const TRIAL_MS = 3000;
const dir = tempDir('ganzhi-fleet-');
let fleet: FleetBroker;
let url: string;
let sim: Simulation;
let gw: GatewayHandle;
let hub: MqttClient;
let batches: DataBatch[];
let states: ConfigState[];
let base: Record<string, unknown>;

const lastState = () => states[states.length - 1];
const configFile = join(dir, 'gateway.yaml');

async function push(version: number, config: Record<string, unknown>, hash?: string): Promise<void> {
  const payload = encodeDesiredConfig({ version, config, issued: Date.now(), ...(hash ? { hash } : {}) });
  await hub.publishAsync('gz/v1/north/gw-1/config', payload, { qos: 1, retain: true });
}

/** Admin clears the retained desired config (the broker then takes any version); waits until the gateway saw it. */
async function clear(): Promise<void> {
  const before = gw.fleet?.counters.received ?? 0;
  await hub.publishAsync('gz/v1/north/gw-1/config', '', { qos: 1, retain: true });
  await waitFor('the gateway saw the clear', () => (gw.fleet?.counters.received ?? 0) > before);
  await gw.fleet?.idle();
}

/**
 * A message handed to the gateway's controller directly, as a broker that does not check pushes
 * (or an older one's retained store) would deliver it: fault injection, since the Ganzhi broker
 * drops these before any gateway sees them.
 */
async function deliverUnchecked(payload: string): Promise<void> {
  await gw.fleet?.onMessage(Buffer.from(payload));
  await gw.fleet?.idle();
  const want = gw.fleet?.wireState();
  await waitFor('the hub sees the config state', () => lastState()?.ts === want?.ts);
}

/**
 * Waits until the gateway handled push `version` (received after `before`), and the hub has
 * seen the config state it published for it.
 */
async function handled(before: number, version: number): Promise<void> {
  await waitFor(
    `push ${version} handled`,
    () => (gw.fleet?.counters.received ?? 0) > before && gw.fleet?.lastVersion === version,
  );
  await gw.fleet?.idle();
  const want = gw.fleet?.wireState();
  if (gw.fleet?.lastOutcome?.startsWith('ignored') || gw.fleet?.lastOutcome === 'busy') return;
  await waitFor('the hub sees the config state', () => {
    const s = lastState();
    return s && s.ts === want?.ts && s.status === want?.status;
  });
}

function seqGaps(): number[] {
  const seqs = [...new Set(batches.map((b) => b.seq))].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < seqs.length; i++)
    if (seqs[i] !== (seqs[i - 1] as number) + 1) gaps.push(seqs[i] as number);
  return gaps;
}

beforeAll(async () => {
  fleet = await startFleetBroker({ district: 'north', gateway: 'gw-1' }, { data: true });
  ({ url, hub, states, batches } = fleet);
  sim = await startMeters(dir, 5, [5, 6]);

  process.env.GZ_TEST_FLEET_PASSWORD = 'gw-1-password';
  process.env.GZ_TEST_FLEET_WRONG = 'not-the-password';
  base = meterAgentConfig({
    district: 'north',
    gateway: 'gw-1',
    sim,
    url,
    passwordEnv: 'GZ_TEST_FLEET_PASSWORD',
    pollIntervalMs: 200,
    http: { port: 0 },
  });
  writeFileSync(configFile, JSON.stringify(base, null, 2));
  const loadedCfg = loadConfigFile(configFile);
  expect(loadedCfg.problems).toEqual([]);
  gw = await runGateway(loadedCfg, { logger, fleet: { trialMs: TRIAL_MS } });
  await waitFor('the gateway connected', () => gw.uplink?.counters.connected);
  await waitFor('its first config state', () => lastState());
});

afterAll(async () => {
  await gw?.stop(1000);
  await sim?.stop();
  await fleet?.close();
});

const withDevices = (over: Partial<Record<string, unknown>>[], poll = 200): Record<string, unknown> => ({
  ...base,
  devices: [
    { ...(base.devices as Record<string, unknown>[])[0], pollIntervalMs: poll },
    ...over.map((o) => ({
      id: 'meter-2',
      profile: 'eastron-sdm120',
      endpoint: `modbus-tcp://${sim.describe('em-2')?.address}`,
      unitId: 6,
      pollIntervalMs: poll,
      ...o,
    })),
  ],
});

describe('fleet config push', () => {
  it('reports the local config at start: version 0, applied', () => {
    expect(lastState()).toMatchObject({ appliedVersion: 0, status: 'applied' });
  });

  it('applies a device and polling change in place: same uplink, no reconnect, no sequence gap', async () => {
    await waitFor('some batches', () => batches.length >= 3);
    const uplink = gw.uplink;
    const reconnects = uplink?.counters.reconnects;
    const before = gw.fleet?.counters.received ?? 0;
    const v1 = withDevices([{}], 100);
    await push(1, v1);
    await handled(before, 1);
    expect(gw.fleet?.lastOutcome).toBe('applied');
    expect(lastState()).toMatchObject({ appliedVersion: 1, appliedHash: configHash(v1), status: 'applied' });
    expect(gw.agent.devices.map((d) => d.spec.id)).toEqual(['meter-1', 'meter-2']);
    expect(gw.agent.devices[0]?.spec.pollIntervalMs).toBe(100);
    expect(gw.uplink).toBe(uplink);
    expect(gw.uplink?.counters.reconnects).toBe(reconnects);
    // the new device delivers, and the stream of batches has no hole
    await waitFor('meter-2 delivers', () => batches.some((b) => b.device === 'meter-2'));
    const upTo = Math.max(...batches.map((b) => b.seq));
    await waitFor('everything acknowledged', () => (gw.uplink?.backlog() ?? 1) === 0);
    await waitFor('the hub has it all', () => batches.some((b) => b.seq >= upTo));
    expect(seqGaps()).toEqual([]);
    // the file on disk is the pushed document, the previous one kept beside it
    expect(configHash(JSON.parse(readFileSync(configFile, 'utf8')))).toBe(configHash(v1));
    expect(configHash(JSON.parse(readFileSync(`${configFile}.last-good`, 'utf8')))).toBe(configHash(base));
    const status = (await (await fetch(`${gw.statusUrl}api/devices`)).json()) as { fleet: unknown };
    expect(status.fleet).toMatchObject({ appliedVersion: 1, status: 'applied', lastOutcome: 'applied' });
    const metrics = await (await fetch(`${gw.statusUrl}metrics`)).text();
    expect(metrics).toContain('ganzhi_agent_config_applied_version 1');
    expect(metrics).toContain('ganzhi_agent_config_last_outcome{outcome="applied"} 1');
  });

  it('rejects a config with errors, reporting every problem with its path, and applies nothing', async () => {
    const before = gw.fleet?.counters.received ?? 0;
    const agent = gw.agent;
    const bad = withDevices([
      { profile: 'no-such-profile' },
      { id: 'meter-3', endpoint: 'modbus-tpc://x:1' },
    ]);
    await push(2, bad);
    await handled(before, 2);
    const s = lastState();
    expect(s).toMatchObject({ appliedVersion: 1, desiredVersion: 2, status: 'rejected' });
    const paths = (s?.problems ?? []).map((p) => p.path);
    expect(paths.some((p) => p.startsWith('devices[1].profile'))).toBe(true);
    expect(paths.some((p) => p.startsWith('devices[2].endpoint'))).toBe(true);
    expect(s?.problems?.find((p) => p.path.startsWith('devices[1].profile'))?.message).toMatch(
      /no-such-profile/,
    );
    expect(gw.agent).toBe(agent);
    expect(configHash(JSON.parse(readFileSync(configFile, 'utf8')))).toBe(lastState()?.appliedHash);
  });

  it('never sees a document for another gateway or a forged hash: the broker drops them', async () => {
    const before = gw.fleet?.counters.received ?? 0;
    const state = lastState();
    await push(3, { ...withDevices([{}]), gateway: 'gw-2' });
    const text = JSON.stringify({ v: 1, version: 4, hash: 'b'.repeat(64), config: withDevices([{}]) });
    await hub.publishAsync('gz/v1/north/gw-1/config', text, { qos: 1, retain: true });
    // a later push to this gateway arrives, so the two before it were not on their way
    await push(3, withDevices([{ profile: 'no-such-profile' }]));
    await handled(before, 3);
    expect(gw.fleet?.counters.received).toBe(before + 1);
    expect(state).toMatchObject({ status: 'rejected', desiredVersion: 2 });
    expect(lastState()).toMatchObject({ status: 'rejected', appliedVersion: 1, desiredVersion: 3 });
  });

  it('refuses, by itself, what a broker that does not check would deliver: unstamped, another gateway, a forged hash', async () => {
    const agent = gw.agent;
    const stamped = (version: number, config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ v: 1, version, hash: configHash(config), config, issuer: 'root', ...extra });
    // a valid document, but nobody's word for who pushed it
    const good = withDevices([{}], 150);
    await deliverUnchecked(JSON.stringify({ v: 1, version: 50, hash: configHash(good), config: good }));
    expect(lastState()).toMatchObject({ status: 'rejected', appliedVersion: 1, desiredVersion: 50 });
    expect(lastState()?.reason).toMatch(/not stamped by a broker \(no issuer\)/);
    await deliverUnchecked(stamped(51, { ...withDevices([{}]), gateway: 'gw-2' }));
    expect(lastState()).toMatchObject({ status: 'rejected', appliedVersion: 1 });
    expect(lastState()?.problems?.[0]?.path).toBe('gateway');
    await deliverUnchecked(stamped(52, withDevices([{}]), { hash: 'b'.repeat(64) }));
    expect(lastState()).toMatchObject({ status: 'rejected', appliedVersion: 1 });
    expect(lastState()?.reason).toMatch(/hash/);
    expect(gw.agent).toBe(agent);
    expect(configHash(JSON.parse(readFileSync(configFile, 'utf8')))).toBe(lastState()?.appliedHash);
  });

  it('restarts nothing for an identical re-push, and ignores an older version', async () => {
    const agent = gw.agent;
    const v1 = withDevices([{}], 100);
    let before = gw.fleet?.counters.received ?? 0;
    await push(5, v1); // the same document under a newer version
    await handled(before, 5);
    expect(gw.fleet?.lastOutcome).toBe('unchanged');
    expect(lastState()).toMatchObject({ appliedVersion: 5, status: 'applied' });
    // the same version again (what a reconnect redelivers): the broker takes it only after a clear
    await clear();
    expect(gw.fleet?.lastOutcome).toBe('unchanged');
    before = gw.fleet?.counters.received ?? 0;
    await push(5, v1);
    await handled(before, 5);
    expect(gw.fleet?.lastOutcome).toBe('unchanged');
    expect(gw.agent).toBe(agent);
    await clear();
    before = gw.fleet?.counters.received ?? 0;
    await push(4, withDevices([], 1000)); // older
    await handled(before, 4);
    expect(gw.fleet?.lastOutcome).toBe('ignored-old');
    expect(gw.agent).toBe(agent);
    expect(gw.agent.devices).toHaveLength(2);
  });

  it('rolls a wrong broker credential back by itself within the trial bound, and reports why', async () => {
    const before = gw.fleet?.counters.received ?? 0;
    const cfg = withDevices([{}], 100);
    const wrong = {
      ...cfg,
      delivery: {
        ...(cfg.delivery as Record<string, unknown>),
        mqtt: {
          ...((cfg.delivery as Record<string, unknown>).mqtt as Record<string, unknown>),
          password: '${ENV:GZ_TEST_FLEET_WRONG}',
        },
      },
    };
    const t0 = Date.now();
    await push(6, wrong);
    await handled(before, 6);
    const took = Date.now() - t0;
    expect(gw.fleet?.lastOutcome).toBe('rolled-back');
    await waitFor('reconnected with the last good config', () => gw.uplink?.counters.connected);
    await waitFor('the rolled-back state reaches the hub', () => lastState()?.status === 'rolled-back');
    expect(lastState()).toMatchObject({ appliedVersion: 5, desiredVersion: 6, status: 'rolled-back' });
    expect(lastState()?.reason).toMatch(/birth acknowledged within 3 s/);
    expect(lastState()?.reason).not.toContain('not-the-password');
    // bounded by the trial, plus stopping and starting an uplink (not a timing assertion on speed)
    expect(took).toBeLessThan(TRIAL_MS + 10_000);
    expect(configHash(JSON.parse(readFileSync(configFile, 'utf8')))).toBe(configHash(cfg));
    // data keeps flowing, nothing lost across the trial
    const n = batches.length;
    await waitFor('data after the rollback', () => batches.length > n + 2);
    await waitFor('everything acknowledged', () => (gw.uplink?.backlog() ?? 1) === 0);
    const upTo = gw.uplink ? Math.max(...batches.map((b) => b.seq)) : 0;
    await waitFor('the hub has it all', () => batches.some((b) => b.seq >= upTo));
    expect(seqGaps()).toEqual([]);
  });

  it('keeps an uplink change that connects (a new keepalive), after its trial', async () => {
    const before = gw.fleet?.counters.received ?? 0;
    const cfg = withDevices([{}], 100);
    const next = {
      ...cfg,
      delivery: {
        ...(cfg.delivery as Record<string, unknown>),
        mqtt: {
          ...((cfg.delivery as Record<string, unknown>).mqtt as Record<string, unknown>),
          keepaliveS: 20,
        },
      },
    };
    await push(7, next);
    await handled(before, 7);
    expect(gw.fleet?.lastOutcome).toBe('applied');
    expect(lastState()).toMatchObject({ appliedVersion: 7, status: 'applied' });
    expect(configHash(JSON.parse(readFileSync(configFile, 'utf8')))).toBe(configHash(next));
  });
});
