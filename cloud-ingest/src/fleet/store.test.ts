import { join } from 'node:path';
import { type ConfigState, configHash, type DesiredConfig } from '@ganzhi/device-profiles/contract';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/process.js';
import { decodeMessage } from '../pipeline/decode-record.js';
import { createFleetAudit, pushAuditLine, stateAuditLine } from './audit.js';
import { parseSetPath, setAt } from './set-path.js';
import { openFleetStore } from './store.js';
import { fleetGateway, fleetGatewayDetail, fleetHistory, syncOf } from './view.js';

const ids = { district: 'north', gateway: 'gw-n' };
const config = {
  gateway: 'gw-n',
  district: 'north',
  labels: ['pilot'],
  delivery: { mqtt: { url: 'mqtt://hub:1883', password: '${ENV:GZ_MQTT_PASSWORD}' } },
  defaults: { pollIntervalMs: 5000 },
};
const desired = (version: number, cfg: Record<string, unknown> = config, issuer?: string): DesiredConfig => ({
  v: 1,
  version,
  hash: configHash(cfg),
  config: cfg,
  issued: 1000 * version,
  ...(issuer ? { issuer } : {}),
  onBehalfOf: 'alice',
});
const state = (s: Partial<ConfigState>): ConfigState => ({
  v: 1,
  ts: 5000,
  appliedVersion: 0,
  status: 'applied',
  ...s,
});

describe('fleet store (SQLite config_pushes / config_states)', () => {
  it('stores a push and a state once, however often they are redelivered, and keeps them across a restart', () => {
    const file = join(tempDir('ganzhi-fleet-store-'), 'ingest.db');
    let store = openFleetStore(file);
    // the hub records its own push first (no issuer yet); the broker's copy fills the issuer in
    expect(store.recordPush(ids, desired(1), 10)).toBe(true);
    expect(store.recordPush(ids, desired(1, config, 'hub'), 20)).toBe(true);
    expect(store.recordPush(ids, desired(1, config, 'hub'), 30)).toBe(false);
    // an issuer once known is never replaced
    expect(store.recordPush(ids, desired(1, config, 'mallory'), 40)).toBe(false);
    const st = state({
      ts: 6000,
      desiredVersion: 1,
      desiredHash: configHash(config),
      status: 'rejected',
      reason: 'config has 1 problem',
      problems: [{ path: 'devices[0]', message: 'bad' }],
    });
    expect(store.recordState(ids, st, 50)).toBe(true);
    expect(store.recordState(ids, st, 60)).toBe(false);
    store.close();

    store = openFleetStore(file); // a restart: the same rows, and redeliveries still change nothing
    expect(store.recordPush(ids, desired(1, config, 'hub'), 70)).toBe(false);
    expect(store.recordState(ids, st, 80)).toBe(false);
    const d = store.desired(ids);
    expect(d).toMatchObject({
      version: 1,
      issuer: 'hub',
      onBehalfOf: 'alice',
      issued: 1000,
      seen: 10,
      config,
    });
    expect(store.state(ids)).toMatchObject({
      status: 'rejected',
      desiredVersion: 1,
      appliedVersion: 0,
      reason: 'config has 1 problem',
      problems: [{ path: 'devices[0]', message: 'bad' }],
    });
    expect(store.gateways(['north'])).toEqual([ids]);
    expect(store.gateways(['south'])).toEqual([]);
    const h = store.history(ids, 50);
    expect(h.pushes).toHaveLength(1);
    expect(h.states).toHaveLength(1);
    store.close();
  });

  it('the current desired doc is the highest version; the current state the newest', () => {
    const store = openFleetStore(join(tempDir('ganzhi-fleet-store-'), 'ingest.db'));
    const v2 = { ...config, defaults: { pollIntervalMs: 2000 } };
    store.recordPush(ids, desired(2, v2, 'hub'), 20);
    store.recordPush(ids, desired(1, config, 'hub'), 30); // an older one seen later
    store.recordState(ids, state({ ts: 7000, desiredVersion: 2, appliedVersion: 1, status: 'applying' }), 40);
    store.recordState(ids, state({ ts: 6000, desiredVersion: 1, appliedVersion: 1, status: 'applied' }), 50);
    const g = fleetGatewayDetail(store, ids, 'online');
    expect(fleetGateway(store, ids, 'online')).not.toHaveProperty('config');
    expect(g.desired?.version).toBe(2);
    expect(g.config).toEqual(v2);
    expect(g.state?.status).toBe('applying');
    expect(g.sync).toBe('pending');
    expect(g.labels).toEqual(['pilot']);
    store.recordState(ids, state({ ts: 8000, desiredVersion: 2, appliedVersion: 2, status: 'applied' }), 60);
    expect(fleetGateway(store, ids, 'online').sync).toBe('applied');
    const hist = fleetHistory(store, ids);
    expect(hist.map((e) => (e.kind === 'push' ? `push ${e.version}` : `state ${e.status}`))).toEqual([
      'state applied', // ts 8000
      'state applying', // 7000
      'state applied', // 6000
      'push 2', // issued 2000
      'push 1', // issued 1000
    ]);
    store.close();
  });
});

describe('fleet store: pushes the broker never confirmed', () => {
  it('counts an unconfirmed push as desired only within its grace; versions still grow past it', () => {
    const store = openFleetStore(join(tempDir('ganzhi-fleet-store-'), 'ingest.db'));
    store.recordPush(ids, desired(1, config, 'hub'), 1000);
    // the hub published v2 at t=2000; the broker dropped it (stale, invalid): no stamped copy came back
    store.recordPush(ids, desired(2, { ...config, labels: [] }), 2000);
    expect(store.desired(ids)?.version).toBe(2);
    expect(store.desired(ids, { unconfirmedSince: 1500 })?.version).toBe(2);
    expect(store.desired(ids, { unconfirmedSince: 2500 })?.version).toBe(1);
    expect(store.maxVersion(ids)).toBe(2);
    expect(store.maxVersion({ district: 'north', gateway: 'none' })).toBe(0);
    expect(fleetGateway(store, ids, 'unknown', { unconfirmedSince: 2500 }).labels).toEqual(['pilot']);
    store.close();
  });
});

describe('fleet store: a flood of states from one gateway', () => {
  it('keeps the newest states per gateway only, and leaves other gateways alone', () => {
    const store = openFleetStore(join(tempDir('ganzhi-fleet-store-'), 'ingest.db'), {
      maxStatesPerGateway: 50,
    });
    const other = { district: 'north', gateway: 'gw-quiet' };
    store.recordState(other, state({ ts: 1 }), 1);
    for (let i = 0; i < 500; i++) store.recordState(ids, state({ ts: 10_000 + i, appliedVersion: i }), i);
    const h = store.history(ids, 1000);
    expect(h.states).toHaveLength(50);
    expect(h.states[0]?.appliedVersion).toBe(499);
    expect(h.states[49]?.appliedVersion).toBe(450);
    expect(store.history(other, 10).states).toHaveLength(1);
    store.close();
  });
});

describe('fleet sync', () => {
  const d = { version: 3, hash: 'a'.repeat(64) };
  const s = (x: Partial<Parameters<typeof syncOf>[1] & object>) =>
    ({
      district: 'n',
      gateway: 'g',
      ts: 1,
      status: 'applied',
      desiredVersion: null,
      desiredHash: null,
      appliedVersion: 0,
      appliedHash: null,
      reason: null,
      problems: [],
      ...x,
    }) as Parameters<typeof syncOf>[1];
  it('maps desired and state to unmanaged / pending / applied / rejected / rolled-back', () => {
    expect(syncOf(null, null)).toBe('unmanaged');
    expect(syncOf(d, null)).toBe('pending');
    expect(syncOf(d, s({ appliedVersion: 2 }))).toBe('pending');
    expect(syncOf(d, s({ appliedVersion: 3 }))).toBe('applied');
    expect(syncOf(d, s({ desiredVersion: 3, appliedVersion: 2, status: 'rejected' }))).toBe('rejected');
    expect(syncOf(d, s({ desiredVersion: 3, appliedVersion: 2, status: 'rolled-back' }))).toBe('rolled-back');
    // a rejection of an older push says nothing about this one
    expect(syncOf(d, s({ desiredVersion: 2, appliedVersion: 1, status: 'rejected' }))).toBe('pending');
    expect(syncOf(d, s({ desiredVersion: 3, appliedVersion: 2, status: 'applying' }))).toBe('pending');
  });
});

describe('fleet audit lines and decoding', () => {
  it('decodes config and config-state topics into messages; an invalid desired config is a dead letter without its payload', () => {
    const body = Buffer.from(JSON.stringify(desired(4, config, 'hub')));
    const m = decodeMessage('gz/v1/north/gw-n/config', body, 0);
    expect(m.message?.kind).toBe('config');
    const st = decodeMessage(
      'gz/v1/north/gw-n/config-state',
      Buffer.from(JSON.stringify(state({ appliedVersion: 4 }))),
      0,
    );
    expect(st.message?.kind).toBe('config-state');
    const inline = { ...config, delivery: { mqtt: { url: 'mqtt://hub', password: 'hunter2' } } };
    const bad = decodeMessage(
      'gz/v1/north/gw-n/config',
      Buffer.from(JSON.stringify({ ...desired(5, inline), hash: configHash(inline) })),
      0,
    );
    expect(bad.message).toBeUndefined();
    expect(bad.deadLetters[0]?.reason).toContain('config.delivery.mqtt.password');
    expect(bad.deadLetters[0]).not.toHaveProperty('payload');
    expect(JSON.stringify(bad)).not.toContain('hunter2');
  });

  it('writes config_audit lines (push and state), and stores through the audit', () => {
    expect(pushAuditLine(ids, desired(2, config, 'hub'), 99)).toBe(
      `config_audit,district=north,gateway=gw-n,kind=push,status=pushed version=2,hash="${configHash(config)}",issuer="hub",on_behalf_of="alice" 2000`,
    );
    expect(
      stateAuditLine(
        ids,
        state({
          ts: 7000,
          desiredVersion: 2,
          appliedVersion: 1,
          status: 'rolled-back',
          reason: 'no "birth" ack',
        }),
      ),
    ).toBe(
      'config_audit,district=north,gateway=gw-n,kind=state,status=rolled-back version=2,applied_version=1,reason="no \\"birth\\" ack" 7000',
    );
    const store = openFleetStore(join(tempDir('ganzhi-fleet-store-'), 'ingest.db'));
    const audit = createFleetAudit(store, true);
    expect(audit.observe({ kind: 'config', ids, value: desired(1, config, 'hub') }, 5).lines).toHaveLength(1);
    expect(
      createFleetAudit(store, false).observe({ kind: 'config', ids, value: desired(1, config, 'hub') }, 5)
        .lines,
    ).toEqual([]);
    expect(store.desired(ids)?.issuer).toBe('hub');
    store.close();
  });
});

describe('set paths', () => {
  it('parses dotted paths with indexes and refuses what is not one', () => {
    expect(parseSetPath('defaults.pollIntervalMs')).toEqual(['defaults', 'pollIntervalMs']);
    expect(parseSetPath('devices[0].endpoint')).toEqual(['devices', 0, 'endpoint']);
    expect(parseSetPath('a..b')).toMatch(/is not a key/);
    expect(parseSetPath('__proto__.x')).toMatch(/may not be set/);
    expect(parseSetPath('a[x]')).toMatch(/is not a key/);
  });
  it('sets into a copy, creating objects, never walking through a scalar or past a list', () => {
    const doc: Record<string, unknown> = { defaults: { pollIntervalMs: 1 }, devices: [{ id: 'a' }], n: 3 };
    expect(setAt(doc, ['defaults', 'pollIntervalMs'], 2000)).toBeUndefined();
    expect(setAt(doc, ['new', 'deep'], true)).toBeUndefined();
    expect(setAt(doc, ['devices', 0, 'id'], 'b')).toBeUndefined();
    expect(doc).toEqual({
      defaults: { pollIntervalMs: 2000 },
      devices: [{ id: 'b' }],
      n: 3,
      new: { deep: true },
    });
    expect(setAt(doc, ['devices', 5, 'id'], 'x')).toMatch(/past the end/);
    expect(setAt(doc, ['n', 'x'], 1)).toMatch(/not an object/);
    expect(setAt(doc, ['defaults', 0], 1)).toMatch(/not a list/);
  });
});
