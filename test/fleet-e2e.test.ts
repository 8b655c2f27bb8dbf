/**
 * Fleet configuration end to end (issue 16), every component real: our broker with a users
 * file (a gateway user per gateway, the ingest user, the hub's delegate operator user for
 * district north, an operator of district south), two edge agents polling simulated meters
 * (Modbus TCP), and the ingest with SQLite and hub operators. Operators push through the hub
 * API (`POST /api/fleet/push`); the broker stamps the push; the agent validates, applies in
 * place or tries an uplink change and rolls it back; the hub sees the outcome on
 * `config-state` (`GET /api/fleet`) and the SQLite audit keeps every push and outcome.
 *
 * "No data lost" is read from the ingest itself: its completeness figures for the gateway
 * (missing, gaps opened, resets) once it has stored the last sequence number the agent
 * buffered.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningBroker, UserEntry } from '@ganzhi/broker';
import type { Ingest } from '@ganzhi/cloud-ingest';
import { configHash, decodeDesiredConfig, encodeDesiredConfig } from '@ganzhi/device-profiles';
import { type GatewayHandle, loadConfigFile, runGateway } from '@ganzhi/edge-agent';
import { parseScenario, Simulation } from '@ganzhi/simulators';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/process.js';
import { basic, hubApi, loginAs, startHubStack } from './support/hub-stack.js';
import { until } from './support/until.js';

const logger = pino({ level: 'silent' });
const GW = 'gw-n1';
const GW2 = 'gw-n2';
/** the uplink trial bound of gw-n1 (the agent's default is 60 s) */
const TRIAL_MS = 3000;
const agentBin = new URL('../edge-agent/bin/ganzhi-agent.js', import.meta.url).pathname;
// the agent's own secret references, resolved from its environment
// biome-ignore lint/suspicious/noTemplateCurlyInString: not a template, the agent's syntax
const PW_REF = '${ENV:GW_PW}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: not a template, the agent's syntax
const WRONG_REF = '${ENV:GW_PW_WRONG}';
const agentEnv = { GW_PW: `${GW}-password`, GW_PW_WRONG: 'not-the-password-of-gw-n1' };

interface FleetGatewayView {
  district: string;
  gateway: string;
  online: 'online' | 'offline' | 'unknown';
  labels: string[];
  desired: {
    version: number;
    hash: string;
    issuer: string | null;
    onBehalfOf: string | null;
    issued: number | null;
  } | null;
  state: {
    status: string;
    desiredVersion: number | null;
    appliedVersion: number;
    appliedHash: string | null;
    reason: string | null;
    problems: { path: string; message: string }[];
    ts: number;
  } | null;
  sync: 'unmanaged' | 'pending' | 'applied' | 'rejected' | 'rolled-back';
}
interface PushAnswer {
  pushes: { district: string; gateway: string; version: number; hash: string; topic: string }[];
  refused: { district: string; gateway: string; reason: string }[];
}
type Doc = Record<string, unknown>;

describe('fleet configuration from the hub API to the gateway and back, through the real broker and agents', () => {
  const dir = tempDir('ganzhi-fleet-e2e-');
  let sim: Simulation;
  let broker: RunningBroker;
  let mqttUrl = '';
  let ingest: Ingest;
  let gw: GatewayHandle;
  let oldPi: GatewayHandle | undefined;
  let newPi: ChildProcess | undefined;
  let watcher: MqttClient;
  /** every desired config the broker delivered (after its stamp), in order */
  const configsSeen: { topic: string; issuer?: string; onBehalfOf?: string; version?: number }[] = [];
  let base: Doc;
  /** the last document gw-n1 applied */
  let good: Doc;

  const api = hubApi(() => ingest);

  const push = (body: Record<string, unknown>, who = 'alice') =>
    api('POST', '/api/fleet/push', basic(who), body);

  const pushConfig = async (gateway: string, config: Doc): Promise<PushAnswer['pushes'][number]> => {
    const r = await push({ target: { district: 'north', gateway }, config });
    expect(r.statusCode, r.body).toBe(202);
    const a = r.json() as PushAnswer;
    expect(a.refused).toEqual([]);
    expect(a.pushes).toHaveLength(1);
    return a.pushes[0]!;
  };

  const fleetOf = async (gateway: string, who = 'alice') => {
    const r = await api('GET', `/api/fleet/north/${gateway}`, basic(who));
    return r.statusCode === 200 ? (r.json() as FleetGatewayView & { config: Doc }) : undefined;
  };

  /** the hub's view once the gateway's outcome for `version` is final */
  const outcome = (gateway: string, version: number) =>
    until(`${gateway} version ${version} decided`, async () => {
      const v = await fleetOf(gateway);
      return v?.state && v.state.desiredVersion === version && v.state.status !== 'applying' ? v : undefined;
    });

  const sqlite = () => new Database(join(dir, 'ingest.db'), { readonly: true, fileMustExist: true });

  /** readings of a device the store holds from `since` (ms) on */
  const storedSince = (device: string, since: number) => {
    const db = sqlite();
    try {
      return (
        db
          .prepare('SELECT count(*) AS n FROM readings_v WHERE device = ? AND ts >= ?')
          .get(device, since) as {
          n: number;
        }
      ).n;
    } catch {
      return 0; // not created yet
    } finally {
      db.close();
    }
  };

  /**
   * Everything gw-n1 buffered is acknowledged, the ingest has stored up to its last sequence
   * number, and its completeness figures show no hole.
   */
  const noGap = async () => {
    await until('the agent has everything acknowledged', () => gw.uplink?.backlog() === 0);
    const upTo = (gw.log?.nextOffset ?? 1) - 1;
    const g = await until('the ingest stored up to the last sequence number', async () => {
      const r = await api('GET', '/api/completeness?district=north');
      const f = (
        r.json() as {
          gateways: {
            gateway: string;
            lastSeq: number;
            missing: number;
            gapsOpened: number;
            resets: number;
          }[];
        }
      ).gateways.find((x) => x.gateway === GW);
      return f && f.lastSeq >= upTo ? f : undefined;
    });
    expect({ missing: g.missing, gapsOpened: g.gapsOpened, resets: g.resets }).toEqual({
      missing: 0,
      gapsOpened: 0,
      resets: 0,
    });
  };

  const meter = (id: string, simId: string, unitId: number): Doc => ({
    id,
    profile: 'eastron-sdm120',
    endpoint: `modbus-tcp://${sim.describe(simId)?.address}`,
    unitId,
  });

  const gatewayDoc = (gateway: string, devices: Doc[], pollIntervalMs: number, password = PW_REF): Doc => ({
    gateway,
    district: 'north',
    labels: ['meters'],
    stateDir: './state',
    defaults: { pollIntervalMs, timeoutMs: 1000, retries: 1 },
    devices,
    delivery: {
      mqtt: { url: mqttUrl, username: gateway, password, reconnect: { initialMs: 100, maxMs: 500 } },
      buffer: { fsync: 'never' },
    },
    http: { port: 0 },
  });

  beforeAll(async () => {
    const { loaded, problems } = parseScenario(
      [
        'name: fleet-e2e',
        'seed: 16',
        'devices:',
        '  - { id: em-1, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 0 }, unit: 5 }',
        '  - { id: em-2, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 0 }, unit: 6 }',
        '  - { id: em-3, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 0 }, unit: 7 }',
      ].join('\n'),
      join(dir, 'scenario.yaml'),
    );
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded!, anyPort: true, logger });

    const users: Record<string, Partial<UserEntry>> = {
      [GW]: { role: 'gateway', district: 'north', gateway: GW } as never,
      [GW2]: { role: 'gateway', district: 'north', gateway: GW2 } as never,
      'op-south': { role: 'operator', districts: ['south'] } as never,
      watch: { role: 'admin' } as never,
    };
    ({ broker, mqttUrl, ingest } = await startHubStack(users, dir, logger));

    watcher = await loginAs(mqttUrl, 'watch');
    watcher.on('message', (topic, p) => {
      if (!topic.endsWith('/config')) return;
      const d = decodeDesiredConfig(p);
      configsSeen.push({
        topic,
        ...(d.ok
          ? {
              version: d.value.version,
              ...(d.value.issuer ? { issuer: d.value.issuer } : {}),
              ...(d.value.onBehalfOf ? { onBehalfOf: d.value.onBehalfOf } : {}),
            }
          : {}),
      });
    });
    await watcher.subscribeAsync('gz/v1/+/+/config', { qos: 1 });

    // gw-n1: a hand-written config (as installed), one meter
    mkdirSync(join(dir, GW));
    base = gatewayDoc(GW, [meter('meter-1', 'em-1', 5)], 300);
    const file = join(dir, GW, 'gateway.json');
    writeFileSync(file, JSON.stringify(base, null, 2));
    const loadedCfg = loadConfigFile(file, { env: agentEnv });
    expect(loadedCfg.problems).toEqual([]);
    gw = await runGateway(loadedCfg, {
      logger,
      httpPort: 0,
      env: agentEnv,
      fleet: { trialMs: TRIAL_MS },
    });
    // gw-n2: the Raspberry Pi that will be replaced (its password known to the broker from now on)
    mkdirSync(join(dir, 'old-pi'));
    const oldFile = join(dir, 'old-pi', 'gateway.json');
    writeFileSync(oldFile, JSON.stringify(gatewayDoc(GW2, [meter('meter-3', 'em-3', 7)], 1000), null, 2));
    const env2 = { GW_PW: `${GW2}-password` };
    const loaded2 = loadConfigFile(oldFile, { env: env2 });
    expect(loaded2.problems).toEqual([]);
    oldPi = await runGateway(loaded2, { logger, httpPort: 0, env: env2 });
    await until('both gateways connected', () =>
      gw.uplink?.counters.connected && oldPi?.uplink?.counters.connected ? true : undefined,
    );
    await until('the hub knows both gateways', async () => {
      const r = await api('GET', '/api/fleet?district=north', basic('alice'));
      if (r.statusCode !== 200) return undefined;
      const names = (r.json() as { gateways: FleetGatewayView[] }).gateways.map((g) => g.gateway);
      return names.includes(GW) && names.includes(GW2);
    });
  }, 120_000);

  afterAll(async () => {
    if (newPi && newPi.exitCode === null && newPi.signalCode === null) {
      const exited = new Promise((r) => newPi?.once('exit', r));
      newPi.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (newPi.exitCode === null && newPi.signalCode === null) newPi.kill('SIGKILL');
    }
    await gw?.stop(500);
    await oldPi?.stop(500);
    await watcher?.endAsync();
    await ingest?.close();
    await broker?.close();
    await sim?.stop();
  });

  it('lists the gateways of the operator’s district, unmanaged until a first push', async () => {
    const v = await fleetOf(GW);
    expect(v).toMatchObject({
      district: 'north',
      gateway: GW,
      online: 'online',
      desired: null,
      sync: 'unmanaged',
    });
    expect(v?.state).toMatchObject({ appliedVersion: 0, status: 'applied' });
    // an operator of south sees none of north's gateways
    const r = await api('GET', '/api/fleet', basic('bob'));
    expect(r.statusCode).toBe(200);
    expect(
      (r.json() as { gateways: FleetGatewayView[] }).gateways.filter((g) => g.district === 'north'),
    ).toEqual([]);
  });

  it('applies a pushed device and polling change in place: no reconnect, no gap in the ingest’s completeness, the new device stored', async () => {
    await until('some data stored', () => storedSince('meter-1', 0) > 0);
    const uplink = gw.uplink;
    const reconnects = uplink?.counters.reconnects;
    const t0 = Date.now();
    good = gatewayDoc(GW, [meter('meter-1', 'em-1', 5), meter('meter-2', 'em-2', 6)], 200);
    const p = await pushConfig(GW, good);
    expect(p).toMatchObject({
      district: 'north',
      gateway: GW,
      version: 1,
      hash: configHash(good),
      topic: `gz/v1/north/${GW}/config`,
    });
    const v = await outcome(GW, 1);
    expect(v.sync).toBe('applied');
    expect(v.state).toMatchObject({ status: 'applied', appliedVersion: 1, appliedHash: configHash(good) });
    // stamped by the broker: the hub's MQTT user, for the operator who used the API
    expect(v.desired).toMatchObject({
      version: 1,
      hash: configHash(good),
      issuer: 'hub',
      onBehalfOf: 'alice',
    });
    expect(v.labels).toEqual(['meters']);
    expect(gw.agent.devices.map((d) => d.spec.id)).toEqual(['meter-1', 'meter-2']);
    expect(gw.uplink).toBe(uplink);
    expect(gw.uplink?.counters.reconnects).toBe(reconnects);
    await until('meter-2 stored', () => storedSince('meter-2', t0) > 0);
    await noGap();
    // a `set` push: one field of the current desired document, the next version
    const r = await push({
      target: { district: 'north', gateway: GW },
      set: { 'defaults.pollIntervalMs': 250 },
    });
    expect(r.statusCode, r.body).toBe(202);
    const p2 = (r.json() as PushAnswer).pushes[0]!;
    expect(p2.version).toBe(2);
    good = { ...good, defaults: { ...(good.defaults as Doc), pollIntervalMs: 250 } };
    expect(p2.hash).toBe(configHash(good));
    expect((await outcome(GW, 2)).sync).toBe('applied');
    expect(gw.agent.devices.map((d) => d.spec.pollIntervalMs)).toEqual([250, 250]);
    expect(gw.uplink).toBe(uplink);
    const detail = await fleetOf(GW);
    expect(detail?.config).toEqual(good);
    const t1 = Date.now();
    await until('readings after the set push', () => storedSince('meter-1', t1) > 0);
    await noGap();
    // by label: the hub finds the gateway by the labels of its desired document
    const byLabel = await api('GET', '/api/fleet?label=meters', basic('alice'));
    expect((byLabel.json() as { gateways: FleetGatewayView[] }).gateways.map((g) => g.gateway)).toContain(GW);
  });

  it('rejects a push with errors, and the validator’s messages (with their paths) are in GET /api/fleet; nothing applied', async () => {
    const agent = gw.agent;
    const bad = gatewayDoc(
      GW,
      [
        meter('meter-1', 'em-1', 5),
        { ...meter('meter-2', 'em-2', 6), profile: 'no-such-profile' },
        { ...meter('meter-9', 'em-2', 6), endpoint: 'modbus-tpc://127.0.0.1:1' },
      ],
      250,
    );
    const p = await pushConfig(GW, bad);
    expect(p.version).toBe(3);
    const v = await outcome(GW, 3);
    expect(v.sync).toBe('rejected');
    expect(v.state).toMatchObject({ status: 'rejected', appliedVersion: 2, desiredVersion: 3 });
    const paths = v.state!.problems.map((x) => x.path);
    expect(paths.some((x) => x.startsWith('devices[1].profile'))).toBe(true);
    expect(paths.some((x) => x.startsWith('devices[2].endpoint'))).toBe(true);
    expect(v.state!.problems.find((x) => x.path.startsWith('devices[1].profile'))?.message).toMatch(
      /no-such-profile/,
    );
    // the list shows it too
    const list = await api('GET', '/api/fleet?district=north', basic('alice'));
    const row = (list.json() as { gateways: FleetGatewayView[] }).gateways.find((g) => g.gateway === GW);
    expect(row?.sync).toBe('rejected');
    expect(row?.state?.problems.length).toBe(v.state!.problems.length);
    expect(gw.agent).toBe(agent);
    expect(configHash(JSON.parse(readFileSync(join(dir, GW, 'gateway.json'), 'utf8')))).toBe(
      configHash(good),
    );
  });

  it('rolls a wrong broker credential reference back by itself within the trial bound, and the hub sees why', async () => {
    const wrong = gatewayDoc(GW, good.devices as Doc[], 250, WRONG_REF);
    const t0 = Date.now();
    const p = await pushConfig(GW, wrong);
    expect(p.version).toBe(4);
    const v = await outcome(GW, 4);
    const took = Date.now() - t0;
    expect(v.sync).toBe('rolled-back');
    expect(v.state).toMatchObject({ status: 'rolled-back', appliedVersion: 2, desiredVersion: 4 });
    expect(v.state?.reason).toMatch(/within 3 s/);
    expect(JSON.stringify(v)).not.toContain(agentEnv.GW_PW_WRONG);
    // the trial bound plus stopping and starting an uplink and the report's way to the hub
    expect(took).toBeLessThan(TRIAL_MS + 15_000);
    await until('reconnected with the last good config', () => gw.uplink?.counters.connected);
    expect(configHash(JSON.parse(readFileSync(join(dir, GW, 'gateway.json'), 'utf8')))).toBe(
      configHash(good),
    );
    const t1 = Date.now();
    await until('data stored after the rollback', () => storedSince('meter-2', t1) > 0);
    await noGap();
  });

  it('restarts nothing for an identical re-push', async () => {
    const agent = gw.agent;
    const uplink = gw.uplink;
    const reconnects = uplink?.counters.reconnects;
    const p = await pushConfig(GW, good);
    expect(p.version).toBe(5);
    expect(p.hash).toBe(configHash(good));
    const v = await outcome(GW, 5);
    expect(v.sync).toBe('applied');
    expect(v.state).toMatchObject({ status: 'applied', appliedVersion: 5, appliedHash: configHash(good) });
    expect(gw.fleet?.lastOutcome).toBe('unchanged');
    expect(gw.agent).toBe(agent);
    expect(gw.uplink).toBe(uplink);
    expect(gw.uplink?.counters.reconnects).toBe(reconnects);
    await noGap();
  });

  it('refuses an operator of another district: 403 at the API, refused by the broker on MQTT, nothing retained', async () => {
    const seen = configsSeen.length;
    const r = await push({ target: { district: 'north', gateway: GW }, config: good }, 'bob');
    expect(r.statusCode).toBe(403);
    const bySet = await push(
      { target: { district: 'north' }, set: { 'defaults.pollIntervalMs': 10 } },
      'bob',
    );
    expect(bySet.statusCode).toBe(403);
    // the south operator's own MQTT user, straight to the topic with a well-formed document
    const south = await mqtt.connectAsync(mqttUrl, {
      clientId: 'op-south',
      username: 'op-south',
      password: 'op-south-password',
      reconnectPeriod: 0,
    });
    south.on('error', () => {});
    await south
      .publishAsync(
        `gz/v1/north/${GW}/config`,
        encodeDesiredConfig({ version: 99, config: { ...good, defaults: { pollIntervalMs: 10 } } }),
        // QoS 0: the broker refuses it (and may close the connection) without a PUBACK to wait for
        { qos: 0, retain: true },
      )
      .catch(() => undefined);
    await south.endAsync(true).catch(() => undefined);
    // barrier: alice's next push is the first desired config anyone sees after both attempts
    const p = await pushConfig(GW, good);
    await outcome(GW, p.version);
    await until('the watcher saw the barrier', () => configsSeen.length > seen);
    expect(configsSeen.slice(seen)).toEqual([
      { topic: `gz/v1/north/${GW}/config`, version: p.version, issuer: 'hub', onBehalfOf: 'alice' },
    ]);
    // what the broker retains for a gateway connecting now
    const late = await mqtt.connectAsync(mqttUrl, {
      clientId: 'watch.late',
      username: 'watch',
      password: 'watch-password',
    });
    try {
      const retained = new Promise<Buffer>((res) => late.once('message', (_t, payload) => res(payload)));
      await late.subscribeAsync(`gz/v1/north/${GW}/config`, { qos: 1 });
      const d = decodeDesiredConfig(await retained);
      expect(d.ok && { version: d.value.version, hash: d.value.hash, issuer: d.value.issuer }).toEqual({
        version: p.version,
        hash: configHash(good),
        issuer: 'hub',
      });
    } finally {
      await late.endAsync();
    }
    expect(gw.agent.devices.map((x) => x.spec.pollIntervalMs)).toEqual([250, 250]);
  });

  it('keeps every push and outcome in the SQLite audit: issuer the hub’s broker user, on behalf of the operator', async () => {
    const db = sqlite();
    try {
      const pushes = db
        .prepare(
          'SELECT version, hash, issuer, on_behalf_of FROM config_pushes WHERE district = ? AND gateway = ? ORDER BY version',
        )
        .all('north', GW) as { version: number; hash: string; issuer: string; on_behalf_of: string }[];
      expect(pushes.map((x) => x.version)).toEqual([1, 2, 3, 4, 5, 6]);
      for (const x of pushes)
        expect({ issuer: x.issuer, on_behalf_of: x.on_behalf_of }).toEqual({
          issuer: 'hub',
          on_behalf_of: 'alice',
        });
      // the same document under versions 2, 5 (the identical re-push) and 6 (the barrier)
      expect(pushes.filter((x) => x.hash === configHash(good)).map((x) => x.version)).toEqual([2, 5, 6]);
      const states = db
        .prepare(
          'SELECT status, desired_version, applied_version, reason, problems FROM config_states WHERE district = ? AND gateway = ? ORDER BY ts',
        )
        .all('north', GW) as {
        status: string;
        desired_version: number | null;
        applied_version: number;
        reason: string | null;
        problems: string | null;
      }[];
      const final = (version: number) =>
        states.filter((s) => s.desired_version === version && s.status !== 'applying');
      expect(final(1).map((s) => s.status)).toContain('applied');
      expect(final(3).map((s) => s.status)).toContain('rejected');
      expect(final(3).find((s) => s.status === 'rejected')?.problems).toMatch(/no-such-profile/);
      expect(final(4).map((s) => s.status)).toContain('rolled-back');
      expect(final(4).find((s) => s.status === 'rolled-back')?.reason).toMatch(/within 3 s/);
      expect(final(5).map((s) => s.status)).toContain('applied');
    } finally {
      db.close();
    }
  });

  it('a config replaced by hand on the gateway (its last push refused): the hub shows it runs no pushed version', async () => {
    // a push the gateway refuses: the retained desired config it will not retry
    const bad = { ...good, defaults: { ...(good.defaults as Doc), pollIntervalMs: 5 } };
    const p = await pushConfig(GW, bad);
    expect((await outcome(GW, p.version)).sync).toBe('rejected');
    // someone edits the gateway's file by hand and restarts the agent
    await gw.stop(500);
    const file = join(dir, GW, 'gateway.json');
    const byHand = { ...good, defaults: { ...(good.defaults as Doc), pollIntervalMs: 700 } };
    writeFileSync(file, `# edited on site\n${JSON.stringify(byHand, null, 2)}\n`);
    const loaded = loadConfigFile(file, { env: agentEnv });
    expect(loaded.problems).toEqual([]);
    gw = await runGateway(loaded, { logger, httpPort: 0, env: agentEnv, fleet: { trialMs: TRIAL_MS } });
    const v = await until('the hub sees the gateway run no pushed version', async () => {
      const x = await fleetOf(GW);
      return x?.state?.appliedVersion === 0 ? x : undefined;
    });
    expect(v.state?.appliedHash).toBeNull();
    expect(v.desired?.version).toBe(p.version);
    expect(gw.agent.devices.map((d) => d.spec.pollIntervalMs)).toEqual([700, 700]);
  });

  it('commissions a replacement gateway from a bootstrap file: it runs the configuration the hub pushed', async () => {
    // the hub pushes gw-n2's configuration while the old Raspberry Pi still runs
    const doc = gatewayDoc(GW2, [meter('meter-3', 'em-3', 7)], 400);
    const p = await pushConfig(GW2, doc);
    expect((await outcome(GW2, p.version)).sync).toBe('applied');
    // the old Pi dies with its SD card
    await oldPi?.stop(500);
    oldPi = undefined;
    rmSync(join(dir, 'old-pi'), { recursive: true, force: true });
    // the new one: one small file, its password from the environment
    const piDir = join(dir, 'new-pi');
    mkdirSync(piDir);
    writeFileSync(
      join(piDir, 'bootstrap.yaml'),
      [
        `gateway: ${GW2}`,
        'district: north',
        'broker:',
        `  url: ${mqttUrl}`,
        `  username: ${GW2}`,
        `  password: ${PW_REF}`,
        'config: gateway.json',
        '',
      ].join('\n'),
    );
    const t0 = Date.now();
    newPi = spawn(process.execPath, [agentBin, 'run', '--bootstrap', join(piDir, 'bootstrap.yaml')], {
      cwd: piDir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GW_PW: `${GW2}-password` },
    });
    let stderr = '';
    newPi.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    await until(
      'the new Pi stores readings',
      () => {
        if (newPi?.exitCode !== null) throw new Error(`the new Pi exited:\n${stderr}`);
        return storedSince('meter-3', t0) > 0;
      },
      60_000,
    );
    const written = JSON.parse(readFileSync(join(piDir, 'gateway.json'), 'utf8')) as Doc;
    expect(configHash(written)).toBe(p.hash);
    const v = await until('the hub sees the new Pi on the pushed version', async () => {
      const x = await fleetOf(GW2);
      return x?.state?.appliedVersion === p.version && x.sync === 'applied' && x.online === 'online'
        ? x
        : undefined;
    });
    expect(v.state?.appliedHash).toBe(p.hash);
  });
});
