/**
 * The hub side of fleet management (issue 16) through our broker (users, ACL) and a real
 * ingest: POST /api/fleet/push → published QoS 1 retained on the gateway's `config` topic →
 * the ingest records the broker's copy (SQLite config_pushes) → a GATEWAY STAND-IN (an MQTT
 * client logged in as the gateway user, not the agent: the agent's side is tested in
 * edge-agent/test/fleet*.test.ts and test/fleet-e2e.test.ts) reports on `config-state` →
 * GET /api/fleet shows desired vs applied. And the attacks at this boundary: another
 * district's operator (403, nothing retained, nothing delivered), forged targets and fields,
 * an inline secret, `set` without a base, an oversized body, requests before authentication
 * (no body parsed), a flood of unauthenticated pushes.
 *
 * The hub's MQTT user is `admin` here: the operator's right to publish `config` comes with the
 * broker's fleet rules (branch wip/fleet-trust); with those merged it becomes an `operator`
 * with `delegate: true`, as deployed.
 */

import { join } from 'node:path';
import {
  type ConfigState,
  configHash,
  decodeDesiredConfig,
  encodeConfigState,
  gatewayTopic,
} from '@ganzhi/device-profiles/contract';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { FleetGateway, FleetGatewayDetail } from '../src/fleet/view.js';
import type { FleetPushResult } from '../src/hub/fleet-api.js';
import { type Ingest, startIngest } from '../src/ingest.js';
import { capturedLogger } from './captured-logger.js';
import { basic, operator } from './command-fixtures.js';
import { testConfig } from './e2e-helpers.js';
import { loginAs, type RealBroker, startRealBroker } from './real-broker.js';

const agentConfig = (district: string, gateway: string, extra: Record<string, unknown> = {}) => ({
  gateway,
  district,
  labels: ['pilot'],
  delivery: { mqtt: { url: 'mqtt://hub:1883', username: gateway, password: '${ENV:GZ_MQTT_PASSWORD}' } },
  defaults: { pollIntervalMs: 5000 },
  devices: [],
  ...extra,
});

describe('hub fleet API through the real broker and ingest (gateway stand-ins report)', () => {
  let broker: RealBroker;
  let ingest: Ingest;
  let gwN: MqttClient;
  let gwS: MqttClient;
  /** desired configs each gateway's session received */
  const got: Record<string, { topic: string; payload: string }[]> = { 'gw-n': [], 'gw-s': [] };
  const log = capturedLogger();

  const api = (method: string, url: string, auth?: string, body?: unknown, remoteAddress = '127.0.0.1') =>
    ingest.http.inject({
      method: method as 'GET',
      url,
      remoteAddress,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });

  /** what the broker retains on config topics, read from its persistence */
  const retained = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    // the broker's retained store (aedes persistence), read directly: no subscription timing involved
    const aedes = broker.broker.aedes as unknown as {
      persistence: {
        createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer }>;
      };
    };
    const stream = aedes.persistence.createRetainedStream('gz/v1/+/+/config');
    for await (const p of stream) out.set(p.topic, Buffer.from(p.payload).toString());
    return out;
  };

  const fleet = async (auth: string, q = ''): Promise<FleetGateway[]> => {
    const r = await api('GET', `/api/fleet${q}`, auth);
    expect(r.statusCode).toBe(200);
    return (r.json() as { gateways: FleetGateway[] }).gateways;
  };

  const gatewayView = (auth: string, d: string, g: string) =>
    waitFor(`${d}/${g} seen`, async () => {
      const r = await api('GET', `/api/fleet/${d}/${g}`, auth);
      return r.statusCode === 200 ? (r.json() as FleetGatewayDetail) : undefined;
    });

  const report = (client: MqttClient, d: string, g: string, s: Omit<ConfigState, 'v'>) =>
    client.publishAsync(gatewayTopic(d, g, 'config-state'), encodeConfigState({ v: 1, ...s }), {
      qos: 1,
      retain: true,
    });

  beforeAll(async () => {
    broker = await startRealBroker({
      ingest: { role: 'ingest' },
      hub: { role: 'admin' },
      'gw-n': { role: 'gateway', district: 'north', gateway: 'gw-n' },
      'gw-s': { role: 'gateway', district: 'south', gateway: 'gw-s' },
    } as never);
    const dir = tempDir('ganzhi-fleet-hub-');
    const cfg = testConfig(
      dir,
      broker.url,
      { type: 'sqlite', file: join(dir, 'ingest.db') },
      {
        mqtt: {
          url: broker.url,
          clientId: 'ganzhi-ingest-fleet',
          username: 'ingest',
          password: 'ingest-password',
        },
        hub: {
          operators: [
            await operator('alice', ['north']),
            await operator('bob', ['south']),
            await operator('carol', ['north', 'south']),
          ],
          mqtt: { clientId: 'hub', username: 'hub', password: 'hub-password' },
          loginThrottle: { firstBackoffMs: 3_600_000, maxBackoffMs: 3_600_000 },
        },
      },
    );
    ingest = await startIngest(cfg, { logger: log.logger });
    await waitFor('ingest and hub connected', () =>
      ingest.receiver.connected && ingest.commandClient?.connected ? true : undefined,
    );
    gwN = await loginAs(broker.url, 'gw-n');
    gwS = await loginAs(broker.url, 'gw-s');
    for (const [c, name] of [
      [gwN, 'gw-n'],
      [gwS, 'gw-s'],
    ] as const) {
      c.on('message', (topic, p) => got[name]?.push({ topic, payload: p.toString() }));
    }
    await gwN.subscribeAsync('gz/v1/north/gw-n/config', { qos: 1 });
    await gwS.subscribeAsync('gz/v1/south/gw-s/config', { qos: 1 });
  }, 30_000);

  afterAll(async () => {
    await gwN?.endAsync();
    await gwS?.endAsync();
    await ingest?.close();
    await broker?.close();
  });

  it('requests before authentication are answered 401 without reading the body, however many', async () => {
    const bodies = [
      '{not json',
      JSON.stringify({ target: { district: 'north', gateway: 'gw-n' } }),
      'x'.repeat(400_000),
    ];
    for (let i = 0; i < 30; i++) {
      const r = await api('POST', '/api/fleet/push', undefined, bodies[i % bodies.length], `10.9.0.${i % 3}`);
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Basic/);
      expect(r.json()).toMatchObject({ code: 'GZ_AUTH_REQUIRED' });
    }
    expect((await api('GET', '/api/fleet')).statusCode).toBe(401);
    expect((await api('GET', '/api/fleet', basic('alice', 'wrong'))).statusCode).toBe(401);
    expect(await retained()).toEqual(new Map());
  });

  it('pushes a whole config to one gateway: retained, delivered, audited; the gateway reports applied', async () => {
    const config = agentConfig('north', 'gw-n');
    const r = await api('POST', '/api/fleet/push', basic('alice'), {
      target: { district: 'north', gateway: 'gw-n' },
      config,
    });
    expect(r.statusCode).toBe(202);
    const res = r.json() as FleetPushResult;
    expect(res).toEqual({
      pushes: [
        {
          district: 'north',
          gateway: 'gw-n',
          version: 1,
          hash: configHash(config),
          topic: 'gz/v1/north/gw-n/config',
        },
      ],
      refused: [],
    });
    const kept = (await retained()).get('gz/v1/north/gw-n/config');
    const doc = decodeDesiredConfig(kept ?? '');
    expect(doc.ok && doc.value).toMatchObject({ version: 1, config, onBehalfOf: 'alice' });
    await waitFor('gw-n got its config', () => got['gw-n']?.length || undefined);

    let g = (await fleet(basic('alice')))[0] as FleetGateway;
    expect(g).toMatchObject({
      district: 'north',
      gateway: 'gw-n',
      online: 'unknown',
      labels: ['pilot'],
      desired: { version: 1, hash: configHash(config), onBehalfOf: 'alice' },
      state: null,
      sync: 'pending',
    });
    await report(gwN, 'north', 'gw-n', {
      ts: Date.now(),
      desiredVersion: 1,
      desiredHash: configHash(config),
      appliedVersion: 1,
      appliedHash: configHash(config),
      status: 'applied',
    });
    g = await waitFor('applied seen', async () =>
      (await fleet(basic('alice'))).find((x) => x.sync === 'applied'),
    );
    expect(g.state).toMatchObject({ status: 'applied', desiredVersion: 1, appliedVersion: 1, problems: [] });
    const detail = await gatewayView(basic('alice'), 'north', 'gw-n');
    expect(detail.config).toEqual(config);
    expect(detail.history.map((e) => e.kind)).toEqual(['state', 'push']);
  });

  it("another district's operator: 403, nothing retained, nothing delivered, nothing audited", async () => {
    const before = await retained();
    const pushes = [
      { target: { district: 'south', gateway: 'gw-s' }, config: agentConfig('south', 'gw-s') },
      // a forged target: alice's district in the config, bob's in the target
      { target: { district: 'south', gateway: 'gw-s' }, config: agentConfig('north', 'gw-n') },
      { target: { district: 'south' }, set: { 'defaults.pollIntervalMs': 1 } },
      { target: { district: 'south', label: 'pilot' }, set: { 'defaults.pollIntervalMs': 1 } },
    ];
    for (const body of pushes) {
      const r = await api('POST', '/api/fleet/push', basic('alice'), body);
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ code: 'GZ_FORBIDDEN' });
    }
    expect((await api('GET', '/api/fleet?district=south', basic('alice'))).statusCode).toBe(403);
    expect((await api('GET', '/api/fleet/south/gw-s', basic('alice'))).statusCode).toBe(403);
    expect(await retained()).toEqual(before);
    expect(got['gw-s']).toEqual([]);
    expect(ingest.fleet.gateways(['south'])).toEqual([]);
  });

  it('refuses forged fields, an inline secret (naming its path, never its value), a second document kind, with nothing published', async () => {
    const before = await retained();
    const cases: [unknown, RegExp][] = [
      [
        { target: { district: 'north', gateway: 'gw-n' }, config: agentConfig('north', 'gw-s') },
        /^body\.config\.gateway: /,
      ],
      [
        { target: { district: 'north', gateway: 'gw-n' }, config: { gateway: 'gw-n' } },
        /^body\.config\.district: /,
      ],
      [
        { target: { district: 'north', gateway: 'gw-n', issuer: 'admin' }, set: { a: 1 } },
        /^body\.target\.issuer: /,
      ],
      [
        {
          target: { district: 'north', gateway: 'gw-n' },
          config: agentConfig('north', 'gw-n'),
          issuer: 'root',
        },
        /^body\.issuer: /,
      ],
      [
        {
          target: { district: 'north', gateway: 'gw-n' },
          config: agentConfig('north', 'gw-n'),
          set: { a: 1 },
        },
        /exactly one/,
      ],
      [
        { target: { district: 'north' }, config: agentConfig('north', 'gw-n') },
        /^body\.config: .*one gateway/,
      ],
      [{ target: { district: '../x' }, set: { a: 1 } }, /^body\.target\.district: /],
      [{ target: { district: 'north', gateway: 'gw-n' }, set: { 'a..b': 1 } }, /^body\.set\["a\.\.b"\]: /],
      [{ target: { district: 'north', gateway: 'gw-n' }, set: { gateway: 'gw-s' } }, /cannot be changed/],
      [
        {
          target: { district: 'north', gateway: 'gw-n' },
          config: agentConfig('north', 'gw-n', {
            delivery: { mqtt: { url: 'mqtt://hub', password: 'hunter2' } },
          }),
        },
        /^body\.config\.delivery\.mqtt\.password: a secret must be a reference/,
      ],
      [
        { target: { district: 'north', gateway: 'gw-n' }, set: { 'delivery.mqtt.password': 'hunter2' } },
        /^body\.set: config\.delivery\.mqtt\.password: /,
      ],
      ['[1,2', /./],
    ];
    for (const [body, message] of cases) {
      const r = await api('POST', '/api/fleet/push', basic('alice'), body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      const e = r.json() as { code: string; message: string };
      if (typeof body !== 'string') expect(e.code).toBe('GZ_FLEET_INVALID');
      expect(e.message).toMatch(message);
      expect(r.body).not.toContain('hunter2');
    }
    expect(await retained()).toEqual(before);
  });

  it('set without a base document: 409 naming the gateways that have none', async () => {
    const r = await api('POST', '/api/fleet/push', basic('alice'), {
      target: { district: 'north', gateway: 'gw-new' },
      set: { 'defaults.pollIntervalMs': 2000 },
    });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'GZ_FLEET_NO_BASE' });
    expect((r.json() as { message: string }).message).toContain('north/gw-new');
    expect((await retained()).has('gz/v1/north/gw-new/config')).toBe(false);
  });

  it('an oversized body is 413 and an unknown gateway 404', async () => {
    const big = agentConfig('north', 'gw-n', { filler: 'x'.repeat(300_000) });
    const r = await api('POST', '/api/fleet/push', basic('alice'), {
      target: { district: 'north', gateway: 'gw-n' },
      config: big,
    });
    expect(r.statusCode).toBe(413);
    const u = await api('GET', '/api/fleet/north/nobody', basic('alice'));
    expect(u.statusCode).toBe(404);
    expect(u.json()).toMatchObject({ code: 'GZ_GATEWAY_UNKNOWN' });
  });

  it('set by label across districts: each target its own next version, only in the operator districts', async () => {
    const s = await api('POST', '/api/fleet/push', basic('bob'), {
      target: { district: 'south', gateway: 'gw-s' },
      config: agentConfig('south', 'gw-s'),
    });
    expect(s.statusCode).toBe(202);
    // a gateway that reported a higher version than the hub knows (e.g. the hub's database was lost)
    await report(gwS, 'south', 'gw-s', { ts: Date.now(), appliedVersion: 7, status: 'applied' });
    await waitFor('gw-s state seen', () =>
      ingest.fleet.state({ district: 'south', gateway: 'gw-s' }) ? true : undefined,
    );

    // alice's label push reaches north only
    const a = await api('POST', '/api/fleet/push', basic('alice'), {
      target: { label: 'pilot' },
      set: { 'defaults.pollIntervalMs': 3000 },
    });
    expect(a.statusCode).toBe(202);
    expect((a.json() as FleetPushResult).pushes.map((p) => [p.gateway, p.version])).toEqual([['gw-n', 2]]);

    const c = await api('POST', '/api/fleet/push', basic('carol'), {
      target: { label: 'pilot' },
      set: { 'defaults.pollIntervalMs': 2000 },
    });
    expect(c.statusCode).toBe(202);
    expect((c.json() as FleetPushResult).pushes.map((p) => [p.district, p.gateway, p.version])).toEqual([
      ['north', 'gw-n', 3],
      ['south', 'gw-s', 8],
    ]);
    const kept = await retained();
    for (const [topic, version] of [
      ['gz/v1/north/gw-n/config', 3],
      ['gz/v1/south/gw-s/config', 8],
    ] as const) {
      const d = decodeDesiredConfig(kept.get(topic) ?? '');
      expect(d.ok && d.value.version).toBe(version);
      expect(d.ok && (d.value.config.defaults as { pollIntervalMs: number }).pollIntervalMs).toBe(2000);
      expect(d.ok && d.value.onBehalfOf).toBe('carol');
    }
    // the gateway rejects it: the hub shows why
    await report(gwS, 'south', 'gw-s', {
      ts: Date.now() + 1,
      desiredVersion: 8,
      desiredHash: (c.json() as FleetPushResult).pushes[1]!.hash,
      appliedVersion: 7,
      status: 'rejected',
      reason: 'config has 1 problem',
      problems: [{ path: 'defaults.pollIntervalMs', message: 'must be >= 2500' }],
    });
    const g = await waitFor('rejection seen', async () =>
      (await fleet(basic('bob'), '?label=pilot')).find((x) => x.sync === 'rejected'),
    );
    expect(g.state?.problems).toEqual([{ path: 'defaults.pollIntervalMs', message: 'must be >= 2500' }]);
    expect((await fleet(basic('carol'))).map((x) => `${x.district}/${x.gateway}:${x.sync}`)).toEqual([
      'north/gw-n:pending',
      'south/gw-s:rejected',
    ]);
    expect(await fleet(basic('carol'), '?label=nope')).toEqual([]);
  });
});
