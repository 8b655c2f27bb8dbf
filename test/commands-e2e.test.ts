/**
 * Commands end to end (issue 15), every component real: our broker with a users file (one
 * gateway user, the ingest user, the hub's delegate operator user for district north, an
 * operator of district south), the edge agent (runGateway, as `ganzhi-agent run`) polling the
 * simulated streetlight controller (Modbus TCP) and pump station (OPC UA), and the ingest with
 * SQLite and hub operators. An operator POSTs /api/commands; the simulator's write log says
 * what reached the device; the SQLite audit says what the hub stored, with the issuer the
 * broker stamped.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningBroker, UserEntry } from '@ganzhi/broker';
import type { Ingest } from '@ganzhi/cloud-ingest';
import { type CommandResult, decodeCommandResult } from '@ganzhi/device-profiles/contract';
import { type GatewayHandle, loadConfigFile, runGateway } from '@ganzhi/edge-agent';
import { agentDeviceOf, parseScenario, Simulation } from '@ganzhi/simulators';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/process.js';
import { basic, hubApi, loginAs, startHubStack } from './support/hub-stack.js';
import { until } from './support/until.js';

const logger = pino({ level: 'silent' });
const GW = 'gw-n1';
const LIGHT = 'light-1';
const PUMP = 'pump-1';
const agentBin = new URL('../edge-agent/bin/ganzhi-agent.js', import.meta.url).pathname;

interface OutcomeView {
  point: string;
  outcome: string;
  requested?: unknown;
  readback?: unknown;
  reason?: string;
  repeat?: boolean;
}
interface CommandView {
  id: string;
  state: string;
  issuer?: string | null;
  onBehalfOf?: string | null;
  outcomes: OutcomeView[];
}

describe('commands from the hub API to the device and back, through the real broker and agent', () => {
  const dir = tempDir('ganzhi-cmd-e2e-');
  let sim: Simulation;
  let broker: RunningBroker;
  let ingest: Ingest;
  let gw: GatewayHandle | undefined;
  let gwConfigFile = '';
  let watcher: MqttClient;
  const cmdsSeenByWatcher: string[] = [];
  const results: CommandResult[] = [];

  const api = hubApi(() => ingest);

  const post = async (body: Record<string, unknown>, who = 'alice') => {
    const r = await api('POST', '/api/commands', basic(who), { district: 'north', gateway: GW, ...body });
    return r;
  };

  const done = (id: string) =>
    until(`command ${id} done`, async () => {
      const r = await api('GET', `/api/commands/${id}`, basic('alice'));
      const v = r.statusCode === 200 ? (r.json() as CommandView) : undefined;
      return v?.state === 'done' ? v : undefined;
    });

  const writesOf = (device: string) => sim.devices.get(device)!.writes.since(0);

  const sqlite = () => new Database(join(dir, 'ingest.db'), { readonly: true, fileMustExist: true });

  const startAgent = async () => {
    const loaded = loadConfigFile(gwConfigFile, { env: { GW_PW: `${GW}-password` } });
    expect(loaded.problems).toEqual([]);
    const g = await runGateway(loaded, { logger, httpPort: 0 });
    await until(
      'the agent subscribed its commands',
      () => (g.uplink?.counters.commandSubscriptions ?? 0) > 0,
    );
    return g;
  };

  beforeAll(async () => {
    // the two writable devices of the demo city, on free ports, in district north
    const scenarioText = [
      'name: commands-e2e',
      'seed: 15',
      'devices:',
      `  - { id: ${LIGHT}, profile: streetlight-controller, district: north, gateway: ${GW}, endpoint: { protocol: modbus-tcp, port: 15121 }, unit: 1,`,
      '      signals: { lamp_on: { kind: constant, value: false }, dim_level: { kind: constant, value: 80 } } }',
      `  - { id: ${PUMP}, profile: pump-station-opcua, district: north, gateway: ${GW}, endpoint: { protocol: opcua, port: 14840 },`,
      '      signals: { speed_setpoint: { kind: constant, value: 1200 } } }',
    ].join('\n');
    const { loaded, problems } = parseScenario(scenarioText, join(dir, 'scenario.yaml'));
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded!, anyPort: true, logger });

    const users: Record<string, Partial<UserEntry>> = {
      [GW]: { role: 'gateway', district: 'north', gateway: GW } as never,
      'op-south': { role: 'operator', districts: ['south'] } as never,
      watch: { role: 'admin' } as never,
    };
    const stack = await startHubStack(users, dir, logger);
    ({ broker, ingest } = stack);
    const { mqttUrl } = stack;

    watcher = await loginAs(mqttUrl, 'watch');
    watcher.on('message', (topic, p) => {
      if (topic.endsWith('/cmd')) cmdsSeenByWatcher.push(topic);
      if (topic.endsWith('/result')) {
        const r = decodeCommandResult(p);
        if (r.ok) results.push(r.value);
      }
    });
    await watcher.subscribeAsync('gz/v1/#', { qos: 1 });

    const devices = loaded!.devices.map((d) => agentDeviceOf(d, sim.describe(d.id)!.address ?? '').device);
    gwConfigFile = join(dir, `${GW}.yaml`);
    writeFileSync(
      gwConfigFile,
      JSON.stringify({
        gateway: GW,
        district: 'north',
        stateDir: './state',
        defaults: { pollIntervalMs: 1000, timeoutMs: 1000, retries: 1 },
        devices,
        delivery: {
          mqtt: {
            url: mqttUrl,
            username: GW,
            // the agent's own secret reference, resolved from the environment at load
            // biome-ignore lint/suspicious/noTemplateCurlyInString: not a template, the agent's syntax
            password: '${ENV:GW_PW}',
            reconnect: { initialMs: 100, maxMs: 500 },
          },
          buffer: { fsync: 'never' },
        },
        http: { port: 0 },
      }),
    );
    gw = await startAgent();
    // the hub knows both devices' profiles from their retained meta (range checks at the API)
    await until('the hub saw both devices', async () => {
      const r = await ingest.http.inject({ url: '/api/hub/devices?district=north' });
      const ds = (r.json() as { devices: { device: string }[] }).devices.map((d) => d.device);
      return ds.includes(LIGHT) && ds.includes(PUMP);
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.stop(500);
    await watcher?.endAsync();
    await ingest?.close();
    await broker?.close();
    await sim?.stop();
  });

  it('switches the lamp on: result ok, one write on the device, issuer stamped by the broker in the SQLite audit', async () => {
    const before = writesOf(LIGHT).length;
    const r = await post({ device: LIGHT, writes: [{ point: 'lamp_on', value: true }] });
    expect(r.statusCode).toBe(202);
    const { id } = r.json() as { id: string };
    const v = await done(id);
    expect(v.outcomes.map((o) => [o.point, o.outcome, o.requested, o.readback])).toEqual([
      ['lamp_on', 'ok', true, true],
    ]);
    const writes = writesOf(LIGHT).slice(before);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({
      function: 5,
      table: 'coil',
      address: 0,
      outcome: 'ok',
      points: [{ point: 'lamp_on', value: true }],
    });
    const db = sqlite();
    try {
      const row = db
        .prepare('SELECT issuer, on_behalf_of, district, gateway, device FROM commands WHERE id = ?')
        .get(id);
      expect(row).toEqual({
        issuer: 'hub',
        on_behalf_of: 'alice',
        district: 'north',
        gateway: GW,
        device: LIGHT,
      });
      const out = db.prepare('SELECT point, outcome, repeat FROM command_outcomes WHERE id = ?').all(id);
      expect(out).toEqual([{ point: 'lamp_on', outcome: 'ok', repeat: 0 }]);
    } finally {
      db.close();
    }
  });

  it('switches the lamp off again: one FC 5 write of a 0 coil, read back off', async () => {
    const before = writesOf(LIGHT).length;
    const { id } = (await post({ device: LIGHT, writes: [{ point: 'lamp_on', value: false }] })).json() as {
      id: string;
    };
    const v = await done(id);
    expect(v.outcomes.map((o) => [o.point, o.outcome, o.readback])).toEqual([['lamp_on', 'ok', false]]);
    const writes = writesOf(LIGHT).slice(before);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ function: 5, bits: [false], outcome: 'ok' });
  });

  it('sets the dim level: one FC 6 write of the raw value', async () => {
    const before = writesOf(LIGHT).length;
    const { id } = (await post({ device: LIGHT, writes: [{ point: 'dim_level', value: 40 }] })).json() as {
      id: string;
    };
    const v = await done(id);
    expect(v.outcomes.map((o) => [o.point, o.outcome, o.readback])).toEqual([['dim_level', 'ok', 40]]);
    const writes = writesOf(LIGHT).slice(before);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({
      function: 6,
      table: 'holding',
      address: 0,
      words: [40],
      outcome: 'ok',
    });
  });

  it('sets the pump speed set point over OPC UA', async () => {
    const before = writesOf(PUMP).length;
    const { id } = (
      await post({ device: PUMP, writes: [{ point: 'speed_setpoint', value: 1450 }] })
    ).json() as { id: string };
    const v = await done(id);
    expect(v.outcomes.map((o) => [o.point, o.outcome])).toEqual([['speed_setpoint', 'ok']]);
    const writes = writesOf(PUMP).slice(before);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ protocol: 'opcua', dataType: 'Double', outcome: 'ok' });
    expect(writes[0]!.points).toEqual([{ point: 'speed_setpoint', value: 1450 }]);
  });

  it('refuses out of range: the hub API with 400, the agent (command sent straight on MQTT) with rejected and its reason stored', async () => {
    const at = await post({ device: LIGHT, writes: [{ point: 'dim_level', value: 150 }] });
    expect(at.statusCode).toBe(400);
    expect((at.json() as { message: string }).message).toContain('range');
    // the hub's own MQTT user sends it without the API's check: the agent is the last guard
    const hub = await mqtt.connectAsync(
      broker.addresses.tcp ? `mqtt://127.0.0.1:${broker.addresses.tcp.port}` : '',
      {
        clientId: 'hub.direct',
        username: 'hub',
        password: 'hub-password',
      },
    );
    const before = writesOf(LIGHT).length;
    const id = `range-${Date.now()}`;
    try {
      await hub.publishAsync(
        `gz/v1/north/${GW}/${LIGHT}/cmd`,
        JSON.stringify({
          v: 1,
          id,
          writes: [{ point: 'dim_level', value: 150 }],
          expires: Date.now() + 30_000,
          issuer: 'someone-else',
        }),
        { qos: 1 },
      );
      const v = await done(id);
      expect(v.outcomes).toHaveLength(1);
      expect(v.outcomes[0]).toMatchObject({ point: 'dim_level', outcome: 'rejected' });
      expect(v.outcomes[0]!.reason).toMatch(/range/);
      expect(writesOf(LIGHT).length).toBe(before);
      const db = sqlite();
      try {
        const row = db
          .prepare(
            'SELECT c.issuer, o.outcome, o.reason FROM commands c JOIN command_outcomes o ON o.id = c.id WHERE c.id = ?',
          )
          .get(id) as { issuer: string; outcome: string; reason: string };
        expect(row.issuer).toBe('hub'); // the broker's stamp, not the payload's
        expect(row.outcome).toBe('rejected');
        expect(row.reason).toMatch(/range/);
      } finally {
        db.close();
      }
    } finally {
      await hub.endAsync();
    }
  });

  it('refuses a read-only and an unknown point (sent straight on MQTT), answers timeout for an unplugged lamp and device-exception for a failing one: no write, each stored with its outcome', async () => {
    const url = `mqtt://127.0.0.1:${broker.addresses.tcp!.port}`;
    const hub = await mqtt.connectAsync(url, {
      clientId: 'hub.refusals',
      username: 'hub',
      password: 'hub-password',
    });
    const before = writesOf(LIGHT).length;
    const send = async (id: string, point: string, value: unknown) => {
      await hub.publishAsync(
        `gz/v1/north/${GW}/${LIGHT}/cmd`,
        JSON.stringify({ v: 1, id, writes: [{ point, value }], expires: Date.now() + 30_000 }),
        { qos: 1 },
      );
      return done(id);
    };
    try {
      const ro = await send(`ro-${Date.now()}`, 'lamp_power', 5);
      expect(ro.outcomes[0]).toMatchObject({ point: 'lamp_power', outcome: 'rejected' });
      expect(ro.outcomes[0]!.reason).toBeTruthy();
      const unknown = await send(`unk-${Date.now()}`, 'no_such_point', 1);
      expect(unknown.outcomes[0]).toMatchObject({ point: 'no_such_point', outcome: 'rejected' });
      expect(unknown.outcomes[0]!.reason).toBeTruthy();
    } finally {
      await hub.endAsync();
    }
    expect(writesOf(LIGHT).length).toBe(before);
    const faults = sim.devices.get(LIGHT)!.faults;
    faults.add({ id: 'unplugged', kind: 'timeout' });
    try {
      const { id } = (await post({ device: LIGHT, writes: [{ point: 'dim_level', value: 42 }] })).json() as {
        id: string;
      };
      const v = await done(id);
      expect(v.outcomes.map((o) => [o.point, o.outcome])).toEqual([['dim_level', 'timeout']]);
    } finally {
      faults.remove('unplugged');
    }
    faults.add({ id: 'failing', kind: 'exception', code: 4 });
    try {
      const { id } = (await post({ device: LIGHT, writes: [{ point: 'dim_level', value: 43 }] })).json() as {
        id: string;
      };
      const v = await done(id);
      expect(v.outcomes.map((o) => [o.point, o.outcome])).toEqual([['dim_level', 'device-exception']]);
    } finally {
      faults.remove('failing');
    }
  });

  it('refuses an operator of another district (403) and nothing reaches the gateway; the broker refuses its MQTT operator too', async () => {
    const writes = writesOf(LIGHT).length;
    const seen = cmdsSeenByWatcher.length;
    const r = await post({ device: LIGHT, writes: [{ point: 'lamp_on', value: false }] }, 'bob');
    expect(r.statusCode).toBe(403);
    const south = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.addresses.tcp!.port}`, {
      clientId: 'op-south',
      username: 'op-south',
      password: 'op-south-password',
      reconnectPeriod: 0,
    });
    south.on('error', () => {});
    await south
      .publishAsync(
        `gz/v1/north/${GW}/${LIGHT}/cmd`,
        JSON.stringify({
          v: 1,
          id: `south-${Date.now()}`,
          writes: [{ point: 'lamp_on', value: false }],
          expires: Date.now() + 30_000,
        }),
        // QoS 0: the broker refuses it (and may close the connection) without a PUBACK to wait for
        { qos: 0 },
      )
      .catch(() => undefined);
    await south.endAsync(true).catch(() => undefined);
    // barrier: alice's next command is the first command the watcher sees after both attempts
    const { id } = (await post({ device: LIGHT, writes: [{ point: 'dim_level', value: 41 }] })).json() as {
      id: string;
    };
    await done(id);
    expect(cmdsSeenByWatcher.slice(seen)).toEqual([`gz/v1/north/${GW}/${LIGHT}/cmd`]);
    const after = writesOf(LIGHT).slice(writes);
    expect(after).toHaveLength(1);
    expect(after[0]!.words).toEqual([41]);
  });

  it('answers a duplicate delivery of the same stamped command with repeat and writes once', async () => {
    const hub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.addresses.tcp!.port}`, {
      clientId: 'hub.dup',
      username: 'hub',
      password: 'hub-password',
    });
    const before = writesOf(LIGHT).length;
    const id = `dup-${Date.now()}`;
    const cmd = JSON.stringify({
      v: 1,
      id,
      writes: [{ point: 'dim_level', value: 33 }],
      expires: Date.now() + 30_000,
      onBehalfOf: 'alice',
    });
    try {
      await hub.publishAsync(`gz/v1/north/${GW}/${LIGHT}/cmd`, cmd, { qos: 1 });
      await until('first result', () => results.find((x) => x.id === id && !x.repeat));
      await hub.publishAsync(`gz/v1/north/${GW}/${LIGHT}/cmd`, cmd, { qos: 1 });
      const rep = await until('repeat result', () => results.find((x) => x.id === id && x.repeat));
      expect(rep.outcomes.map((o) => o.outcome)).toEqual(['ok']);
    } finally {
      await hub.endAsync();
    }
    const w = writesOf(LIGHT).slice(before);
    expect(w).toHaveLength(1);
    expect(w[0]!.words).toEqual([33]);
    const v = await done(id);
    expect(v.outcomes.map((o) => [o.outcome, o.repeat])).toEqual([['ok', false]]);
  });

  it('expires a command that waited in the broker while the agent was offline: no write', async () => {
    await gw!.stop(500);
    gw = undefined;
    const before = writesOf(LIGHT).length;
    const r = await post({ device: LIGHT, writes: [{ point: 'lamp_on', value: false }], ttlMs: 1000 });
    expect(r.statusCode).toBe(202);
    const { id, expires } = r.json() as { id: string; expires: number };
    await until('the command expired', () => Date.now() > expires + 200 || undefined, 5000);
    gw = await startAgent();
    const v = await done(id);
    expect(v.outcomes.map((o) => [o.point, o.outcome])).toEqual([['lamp_on', 'expired']]);
    expect(writesOf(LIGHT).slice(before)).toEqual([]);
  });
  it('kill -9 of the agent (the real CLI) after the write, before the result: interrupted after the restart, written once', async () => {
    await gw!.stop(500);
    gw = undefined;
    const before = writesOf(LIGHT).length;
    // the gateway's persistent session queues the command until the child has connected
    const child = spawn(process.execPath, [agentBin, 'run', '--config', gwConfigFile], {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, GW_PW: `${GW}-password`, GZ_TEST_FAULT_COMMAND: 'after-write' },
    });
    const exited = new Promise<NodeJS.Signals | number | null>((r) =>
      child.once('exit', (code, sig) => r(sig ?? code)),
    );
    let id = '';
    try {
      const r = await post({ device: LIGHT, writes: [{ point: 'dim_level', value: 77 }] });
      expect(r.statusCode).toBe(202);
      id = (r.json() as { id: string }).id;
      expect(await exited).toBe('SIGKILL');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    gw = await startAgent();
    const v = await done(id);
    expect(v.outcomes.map((o) => [o.point, o.outcome])).toEqual([['dim_level', 'interrupted']]);
    const w = writesOf(LIGHT).slice(before);
    expect(w).toHaveLength(1);
    expect(w[0]!.words).toEqual([77]);
  });
});
