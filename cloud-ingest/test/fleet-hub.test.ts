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
 * The hub's MQTT user is an `operator` with `delegate: true`, as deployed: the broker (its
 * fleet rules) stamps `issuer` with it and keeps the `onBehalfOf` the hub names.
 */

import { writeFileSync } from 'node:fs';
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
import { basic } from './command-fixtures.js';
import type { testConfig } from './e2e-helpers.js';
import { hubApi, hubCli, LONG_BACKOFF, startHubStack } from './hub-stack.js';
import { loginAs, type RealBroker } from './real-broker.js';

const agentConfig = (district: string, gateway: string, extra: Record<string, unknown> = {}) => ({
  gateway,
  district,
  labels: ['pilot'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference the gateway resolves, not a template
  delivery: { mqtt: { url: 'mqtt://hub:1883', username: gateway, password: '${ENV:GZ_MQTT_PASSWORD}' } },
  defaults: { pollIntervalMs: 5000 },
  devices: [],
  ...extra,
});

describe('hub fleet API through the real broker and ingest (gateway stand-ins report)', () => {
  let broker: RealBroker;
  let ingest: Ingest;
  let cfg: ReturnType<typeof testConfig>;
  let gwN: MqttClient;
  let gwS: MqttClient;
  /** desired configs each gateway's session received */
  const got: Record<string, { topic: string; payload: string }[]> = { 'gw-n': [], 'gw-s': [] };
  const log = capturedLogger();

  const api = hubApi(() => ingest);

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

  /**
   * Once on (the CLI tests), the stand-ins answer each desired config as a gateway would, in
   * the simplest way: a poll interval under 1000 ms is rejected with a problem, anything else
   * applied (the real validator and apply are the agent's, tested in edge-agent/test/fleet*).
   */
  let autoAnswer = false;
  const answer = (client: MqttClient, topic: string, payload: Buffer): void => {
    const d = decodeDesiredConfig(payload);
    const t = /^gz\/v1\/([^/]+)\/([^/]+)\/config$/.exec(topic);
    if (!d.ok || !t) return;
    const { version, hash, config } = d.value;
    const poll = (config.defaults as { pollIntervalMs?: number } | undefined)?.pollIntervalMs ?? 5000;
    const applied = ingest.fleet.state({ district: t[1]!, gateway: t[2]! });
    const base = { ts: Date.now(), desiredVersion: version, desiredHash: hash };
    void report(
      client,
      t[1]!,
      t[2]!,
      poll < 1000
        ? {
            ...base,
            appliedVersion: applied?.appliedVersion ?? 0,
            status: 'rejected',
            reason: 'config has 1 problem',
            problems: [{ path: 'defaults.pollIntervalMs', message: 'must be >= 1000' }],
          }
        : { ...base, appliedVersion: version, appliedHash: hash, status: 'applied' },
    );
  };

  beforeAll(async () => {
    ({ broker, ingest, cfg } = await startHubStack({
      hubDistricts: ['north', 'south'],
      gateways: { north: ['gw-n'], south: ['gw-s', 'gw-s3'] },
      dir: tempDir('ganzhi-fleet-hub-'),
      clientId: 'ganzhi-ingest-fleet',
      operators: { alice: ['north'], bob: ['south'], carol: ['north', 'south'], dave: ['east'] },
      hub: { loginThrottle: LONG_BACKOFF },
      logger: log.logger,
    }));
    gwN = await loginAs(broker.url, 'gw-n');
    gwS = await loginAs(broker.url, 'gw-s');
    for (const [c, name] of [
      [gwN, 'gw-n'],
      [gwS, 'gw-s'],
    ] as const) {
      c.on('message', (topic, p) => {
        got[name]?.push({ topic, payload: p.toString() });
        if (autoAnswer) answer(c, topic, p);
      });
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
    // the broker's stamped copy reaches the ingest: the issuer is the hub's MQTT user
    const stamped = await waitFor('issuer stamped', async () =>
      (await fleet(basic('alice')))[0]?.desired?.issuer === 'hub' ? true : undefined,
    );
    expect(stamped).toBe(true);
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
      ['[1,2', /^body: /],
      ['[1,2]', /^body: a JSON object/],
    ];
    for (const [body, message] of cases) {
      const r = await api('POST', '/api/fleet/push', basic('alice'), body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      const e = r.json() as { code: string; message: string };
      expect(e.code).toBe('GZ_FLEET_INVALID');
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

  it("online comes from the gateway's birth; a gateway known only from its state is listed as unmanaged", async () => {
    await gwS.publishAsync(
      gatewayTopic('south', 'gw-s', 'state'),
      JSON.stringify({ v: 1, state: 'online', ts: Date.now() }),
      {
        qos: 1,
        retain: true,
      },
    );
    const g = await waitFor('gw-s online', async () =>
      (await fleet(basic('bob'))).find((x) => x.gateway === 'gw-s' && x.online === 'online'),
    );
    expect(g.sync).toBe('rejected');
    const gw3 = await loginAs(broker.url, 'gw-s3');
    try {
      await gw3.publishAsync(
        gatewayTopic('south', 'gw-s3', 'state'),
        JSON.stringify({ v: 1, state: 'online', ts: Date.now() }),
        {
          qos: 1,
          retain: true,
        },
      );
      const only = await waitFor('gw-s3 listed', async () =>
        (await fleet(basic('bob'))).find((x) => x.gateway === 'gw-s3'),
      );
      expect(only).toMatchObject({
        online: 'online',
        labels: [],
        desired: null,
        state: null,
        sync: 'unmanaged',
      });
      // a district push with set: 409 names the one without a desired config, nothing goes out
      const before = await retained();
      const r = await api('POST', '/api/fleet/push', basic('bob'), {
        target: { district: 'south' },
        set: { 'defaults.pollIntervalMs': 3000 },
      });
      expect(r.statusCode).toBe(409);
      expect((r.json() as { message: string }).message).toMatch(/south\/gw-s3[^,]*: push a whole/);
      expect(await retained()).toEqual(before);
    } finally {
      await gw3.endAsync();
    }
  });

  it('an operator of a district with no gateway (an operator needs one: the config refuses none) sees nothing of the others and may push nothing there', async () => {
    expect(await fleet(basic('dave'))).toEqual([]);
    const r = await api('POST', '/api/fleet/push', basic('dave'), {
      target: { label: 'pilot' },
      set: { a: 1 },
    });
    expect(r.statusCode).toBe(404);
    for (const body of [
      { target: { district: 'north', gateway: 'gw-n' }, config: agentConfig('north', 'gw-n') },
      { target: { district: 'north' }, set: { a: 1 } },
    ]) {
      const x = await api('POST', '/api/fleet/push', basic('dave'), body);
      expect(x.statusCode).toBe(403);
    }
    expect((await api('GET', '/api/fleet/north/gw-n', basic('dave'))).statusCode).toBe(403);
  });

  describe('ganzhi-fleet through the real hub and broker', () => {
    const run = hubCli('ganzhi-fleet');
    const hub = () => ['--hub', ingest.httpUrl, '--user', 'alice'];

    it('push --set waits for the applied status and exits 0; a rejected push exits 1 with the problems', async () => {
      autoAnswer = true;
      const ok = await run([
        'push',
        ...hub(),
        '--gateway',
        'north/gw-n',
        '--set',
        'defaults.pollIntervalMs=2500',
        '--wait',
        '30s',
      ]);
      expect(ok.err).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/^north\/gw-n\s+pushed\s+v4$/m);
      expect(ok.out).toMatch(/^north\/gw-n\s+applied\s+v4$/m);
      const kept = decodeDesiredConfig((await retained()).get('gz/v1/north/gw-n/config') ?? '');
      expect(kept.ok && kept.value).toMatchObject({ version: 4, issuer: 'hub', onBehalfOf: 'alice' });
      expect(kept.ok && kept.value.config.defaults).toEqual({ pollIntervalMs: 2500 });

      const bad = await run([
        'push',
        ...hub(),
        '--label',
        'pilot',
        '--set',
        'defaults.pollIntervalMs=10',
        '--wait',
        '30s',
      ]);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/^north\/gw-n\s+rejected\s+v5 "config has 1 problem"$/m);
      expect(bad.out).toContain('  defaults.pollIntervalMs: must be >= 1000');
    });

    it('push --file (YAML) sends a whole config; status and show print what the hub knows', async () => {
      const dir = tempDir('ganzhi-fleet-cli-');
      const file = join(dir, 'gw-n.yaml');
      writeFileSync(
        file,
        [
          'gateway: gw-n',
          'district: north',
          'labels: [pilot, east-side]',
          'delivery:',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference the gateway resolves, not a template
          '  mqtt: { url: "mqtt://hub:1883", username: gw-n, password: "${ENV:GZ_MQTT_PASSWORD}" }',
          'defaults: { pollIntervalMs: 4000 }',
          'devices: []',
          '',
        ].join('\n'),
      );
      const pushed = await run([
        'push',
        ...hub(),
        '--gateway',
        'north/gw-n',
        '--file',
        file,
        '--wait',
        '30s',
      ]);
      expect(pushed.code).toBe(0);
      expect(pushed.out).toMatch(/^north\/gw-n\s+applied\s+v6$/m);
      const status = await run(['status', ...hub()]);
      expect(status.code).toBe(0);
      expect(status.out.trim()).toMatch(
        /^north\/gw-n\s+unknown\s+applied\s+desired=v6 applied=v6 labels=pilot,east-side$/,
      );
      const byLabel = await run(['status', ...hub(), '--label', 'nope']);
      expect(byLabel.out).toBe('');
      const show = await run(['show', 'north/gw-n', ...hub()]);
      expect(show.code).toBe(0);
      const view = JSON.parse(show.out) as FleetGatewayDetail;
      expect(view.config).toMatchObject({
        labels: ['pilot', 'east-side'],
        defaults: { pollIntervalMs: 4000 },
      });
      expect(view.history[0]).toMatchObject({ kind: 'state', status: 'applied', appliedVersion: 6 });
    });

    it('exits 2 for another district, a bad password, a missing password and bad usage — nothing published', async () => {
      const before = await retained();
      const other = await run([
        'push',
        ...hub(),
        '--district',
        'south',
        '--set',
        'defaults.pollIntervalMs=2000',
      ]);
      expect(other.code).toBe(2);
      expect(other.err).toContain('the hub answered 403 GZ_FORBIDDEN');
      const wrong = await run(['status', ...hub()], { GANZHI_HUB_PASSWORD: 'nope' });
      expect(wrong.code).toBe(2);
      expect(wrong.err).toContain('the hub answered 401');
      const nopw = await run(['status', ...hub()], {});
      expect(nopw.code).toBe(2);
      expect(nopw.err).toContain('GANZHI_HUB_PASSWORD');
      const both = await run([
        'push',
        ...hub(),
        '--gateway',
        'north/gw-n',
        '--district',
        'north',
        '--set',
        'a=1',
      ]);
      expect(both.code).toBe(2);
      expect(both.err).toContain('exactly one of --gateway');
      const noChange = await run(['push', ...hub(), '--gateway', 'north/gw-n']);
      expect(noChange.code).toBe(2);
      const secret = await run([
        'push',
        ...hub(),
        '--gateway',
        'north/gw-n',
        '--set',
        'delivery.mqtt.password=hunter2',
      ]);
      expect(secret.code).toBe(2);
      expect(secret.err).toContain('config.delivery.mqtt.password: a secret must be a reference');
      expect(secret.err + secret.out).not.toContain('hunter2');
      expect(await retained()).toEqual(before);
    });
  });

  it('an ingest restart shows the same fleet: the audit persisted, the retained copies the broker sends again stored once', async () => {
    autoAnswer = false;
    const before = await fleet(basic('carol'));
    const rows = (g: string) =>
      ingest.fleet.history({ district: g === 'gw-n' ? 'north' : 'south', gateway: g }, 1000);
    const counts = { n: rows('gw-n'), s: rows('gw-s') };
    await ingest.close();
    ingest = await startIngest(cfg, { logger: log.logger });
    await waitFor('ingest and hub connected again', () =>
      ingest.receiver.connected && ingest.commandClient?.connected ? true : undefined,
    );
    // a barrier through the broker: a new report comes after the redelivered retained copies
    await report(gwN, 'north', 'gw-n', {
      ts: Date.now() + 5,
      appliedVersion: 6,
      status: 'applied',
      desiredVersion: 6,
    });
    await waitFor('the new report seen', () =>
      rows('gw-n').states.length > counts.n.states.length ? true : undefined,
    );
    expect(rows('gw-n').pushes).toEqual(counts.n.pushes);
    expect(rows('gw-n').states.length).toBe(counts.n.states.length + 1);
    expect(rows('gw-s')).toEqual(counts.s);
    const after = await fleet(basic('carol'));
    const strip = (gs: FleetGateway[]) => gs.map(({ online: _o, state: _s, ...g }) => g);
    expect(strip(after)).toEqual(strip(before));
  });
});
