import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, describeConfig, parseConfig } from './config.js';

describe('config', () => {
  it('fills defaults: SQLite under ./data next to the file', () => {
    const c = parseConfig('mqtt: { url: "mqtt://broker:1883" }\n', '/etc/ganzhi/ingest.yaml', {});
    expect(c.store).toEqual({ type: 'sqlite', file: '/etc/ganzhi/data/ingest.db' });
    expect(c.batch).toEqual({ lines: 5000, flushMs: 200, maxInFlight: 2 });
    expect(c.mqtt.clientId).toBe('ganzhi-ingest-1');
  });

  it('reports every problem at once, with its path and line', () => {
    const text =
      'store:\n  type: influxdb-v2\n  url: http://x\nbatch:\n  lines: 0\npartition: { by: gateway-hash, index: 3, count: 2 }\n';
    let msg = '';
    try {
      parseConfig(text, 'ingest.yaml', {});
    } catch (err) {
      msg = (err as Error).message;
      expect(err).toMatchObject({ code: 'GZ_CONFIG_INVALID' });
    }
    expect(msg).toMatch(/store\.org/);
    expect(msg).toMatch(/ingest\.yaml:5:\d+ batch\.lines/);
  });

  it('reads secrets from files or the environment and never shows them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ganzhi-cfg-'));
    writeFileSync(join(dir, 'token'), 's3cr3t-token\n');
    const c = parseConfig(
      'store: { type: influxdb-v2, url: "http://i:8086", org: o, bucket: b, tokenFile: token }\n',
      join(dir, 'ingest.yaml'),
      { MQTT_PASSWORD: 'mqtt-pass' },
    );
    expect(c.store).toMatchObject({ token: 's3cr3t-token' });
    expect(c.mqtt.password).toBe('mqtt-pass');
    const shown = JSON.stringify(describeConfig(c));
    expect(shown).not.toContain('s3cr3t');
    expect(shown).not.toContain('mqtt-pass');
  });

  it('without a file: InfluxDB v2 from INFLUX_*, v1 from INFLUX_V1_*, else SQLite', () => {
    expect(
      configFromEnv(
        { INFLUX_URL: 'http://i', INFLUX_TOKEN: 't', INFLUX_ORG: 'o', INFLUX_BUCKET: 'b' },
        '/srv',
      ).store,
    ).toEqual({ type: 'influxdb-v2', url: 'http://i', org: 'o', bucket: 'b', token: 't' });
    expect(
      configFromEnv(
        { INFLUX_V1_URL: 'http://i', INFLUX_DB: 'db', INFLUX_USER: 'u', INFLUX_PASSWORD: 'p' },
        '/srv',
      ).store,
    ).toMatchObject({ type: 'influxdb-v1', database: 'db', username: 'u', password: 'p' });
    expect(configFromEnv({}, '/srv').store).toEqual({ type: 'sqlite', file: '/srv/data/ingest.db' });
    expect(() => configFromEnv({ INFLUX_URL: 'http://i' }, '/srv')).toThrow(/store\.org/);
  });
});
