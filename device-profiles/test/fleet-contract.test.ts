import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalConfigJson,
  configHash,
  decodeConfigState,
  decodeDesiredConfig,
  decodeGatewayState,
  encodeConfigState,
  encodeDesiredConfig,
  encodeGatewayState,
  gatewayTopic,
  parseTopic,
} from '../src/contract/index.js';

const config = {
  gateway: 'gw1',
  district: 'north',
  delivery: { mqtt: { url: 'mqtt://hub:1883', username: 'gw1', password: '${ENV:GZ_MQTT_PASSWORD}' } },
  devices: [{ id: 'pm1', profile: 'acme-pm', endpoint: 'modbus-tcp://10.0.0.5:502' }],
};

describe('fleet contract: desired config', () => {
  it('has its own gateway topic kinds, config and config-state, which are not device ids', () => {
    expect(gatewayTopic('north', 'gw1', 'config')).toBe('gz/v1/north/gw1/config');
    expect(parseTopic('gz/v1/north/gw1/config')).toEqual({
      scope: 'gateway',
      district: 'north',
      gateway: 'gw1',
      kind: 'config',
    });
    expect(parseTopic('gz/v1/north/gw1/config-state')?.kind).toBe('config-state');
    expect(parseTopic('gz/v1/north/gw1/config/data')).toBeUndefined();
  });

  it('hashes the canonical JSON: key order does not matter, values do', () => {
    const reordered = {
      devices: config.devices,
      delivery: config.delivery,
      district: 'north',
      gateway: 'gw1',
    };
    expect(configHash(reordered)).toBe(configHash(config));
    expect(canonicalConfigJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    // an independent computation of the same hash (node's sha256 over the canonical text)
    expect(configHash({ b: 1, a: 2 })).toBe(createHash('sha256').update('{"a":2,"b":1}').digest('hex'));
    expect(configHash({ ...config, gateway: 'gw2' })).not.toBe(configHash(config));
  });

  it('round-trips, and the encoder computes the hash', () => {
    const buf = encodeDesiredConfig({ version: 3, config, issued: 1_700_000_000_000 });
    const d = decodeDesiredConfig(buf);
    expect(d.ok && d.value.version).toBe(3);
    expect(d.ok && d.value.hash).toBe(configHash(config));
  });

  it('refuses a forged hash, naming the field, and keeps the version for the report', () => {
    const text = JSON.stringify({ v: 1, version: 4, hash: 'a'.repeat(64), config });
    const d = decodeDesiredConfig(text);
    expect(d).toMatchObject({ ok: false, version: 4 });
    expect(!d.ok && d.error).toMatch(/^hash: /);
  });

  it('refuses an inline secret, naming its path and never its value', () => {
    const leaky = { ...config, delivery: { mqtt: { url: 'mqtt://hub', password: 'hunter2' } } };
    const text = JSON.stringify({ v: 1, version: 5, hash: configHash(leaky), config: leaky });
    const d = decodeDesiredConfig(text);
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error).toContain('config.delivery.mqtt.password');
    expect(!d.ok && d.error).not.toContain('hunter2');
    expect(() => encodeDesiredConfig({ version: 5, config: leaky })).toThrow(/reference/);
  });

  it('refuses bad envelopes with a reason: version 0, a fraction, a non-object config, extra fields, garbage', () => {
    const h = configHash(config);
    for (const [bad, where] of [
      [{ v: 1, version: 0, hash: h, config }, 'version'],
      [{ v: 1, version: 1.5, hash: h, config }, 'version'],
      [{ v: 1, version: 1, hash: h, config: 'devices: []' }, 'config'],
      [{ v: 1, version: 1, hash: h, config, extra: true }, 'extra'],
      [{ v: 2, version: 1, hash: h, config }, 'v'],
    ] as const) {
      const d = decodeDesiredConfig(JSON.stringify(bad));
      expect(d.ok, where).toBe(false);
      expect(!d.ok && d.error, where).toMatch(new RegExp(`^${where}`));
    }
    expect(decodeDesiredConfig(new Uint8Array([0xff, 0xfe]))).toMatchObject({ ok: false });
    expect(decodeDesiredConfig('{')).toMatchObject({ ok: false });
    expect(decodeDesiredConfig('x'.repeat(300 * 1024))).toMatchObject({ ok: false });
  });
});

describe('fleet contract: config state', () => {
  it('round-trips a rejection with its problems', () => {
    const s = {
      v: 1 as const,
      ts: 1_700_000_000_000,
      desiredVersion: 7,
      appliedVersion: 6,
      appliedHash: configHash(config),
      status: 'rejected' as const,
      reason: 'config has 1 problem',
      problems: [{ path: 'devices[0].endpoint', message: 'unknown scheme' }],
    };
    const d = decodeConfigState(encodeConfigState(s));
    expect(d).toEqual({ ok: true, value: s });
  });

  it('refuses a bad config state with the exact reason: oversize, not UTF-8, not JSON, schema', () => {
    expect(decodeConfigState('x'.repeat(256 * 1024 + 1))).toEqual({
      ok: false,
      error: 'payload is 262145 bytes, more than 262144',
    });
    expect(decodeConfigState(new Uint8Array([0xff, 0xfe]))).toEqual({
      ok: false,
      error: 'payload is not valid UTF-8',
    });
    expect(decodeConfigState('{')).toMatchObject({ ok: false, error: /^payload is not JSON: / });
    expect(decodeConfigState('{"v":1,"ts":1,"appliedVersion":0,"status":"done"}')).toEqual({
      ok: false,
      error: 'status: Expected union value',
    });
    expect(decodeConfigState('{"v":1,"ts":-1,"appliedVersion":0,"status":"applied"}')).toEqual({
      ok: false,
      error: 'ts: Expected integer to be greater or equal to 0',
    });
  });

  it('refuses an unknown status', () => {
    expect(() => encodeConfigState({ v: 1, ts: 1, appliedVersion: 0, status: 'done' as never })).toThrow(
      /status/,
    );
  });

  it('leaves the gateway state envelope as it was (the ingest decodes it)', () => {
    const birth = { v: 1 as const, state: 'online' as const, ts: 1_700_000_000_000, devices: ['pm1'] };
    expect(decodeGatewayState(encodeGatewayState(birth))).toEqual({ ok: true, value: birth });
  });
});
