import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { DEFAULT_LIMITS, loadConfigFile, validateConfig } from './config.js';

describe('config', () => {
  it('fills defaults, binds loopback and resolves paths against the file', () => {
    const dir = tempDir();
    const file = join(dir, 'broker.yaml');
    writeFileSync(
      file,
      'listeners:\n  tcp: { port: 1883 }\n  tls: { port: 8883, cert: c.pem, key: k.pem }\nusers: users.yaml\nlimits: { maxConnections: 10 }\n',
    );
    const cfg = loadConfigFile(file);
    expect(cfg.listeners.tcp).toEqual({ port: 1883, host: '127.0.0.1' });
    expect(cfg.listeners.tls?.cert).toBe(join(dir, 'c.pem'));
    expect(cfg.users).toBe(join(dir, 'users.yaml'));
    expect(cfg.limits.maxConnections).toBe(10);
    expect(cfg.limits.maxPacketBytes).toBe(DEFAULT_LIMITS.maxPacketBytes);
    expect(cfg.allowAnonymous).toBe(false);
  });
  it('reports every problem with its path', () => {
    const problems = validateConfig({
      listeners: { tcp: { port: 70000 }, udp: {} },
      limits: { maxConnections: 0 },
      redis: 'http://x',
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toContain('listeners.tcp.port');
    expect(paths).toContain('listeners.udp');
    expect(paths).toContain('limits.maxConnections');
    expect(paths).toContain('redis');
  });
  it('persistence: a data dir (resolved against the file) means disk mode, sync normal unless set', () => {
    const dir = tempDir();
    const file = join(dir, 'broker.yaml');
    writeFileSync(file, 'listeners: {}\npersistence: { dataDir: data/broker }\n');
    expect(loadConfigFile(file).persistence).toEqual({ dataDir: join(dir, 'data/broker'), sync: 'normal' });
    writeFileSync(file, 'listeners: {}\n');
    expect(loadConfigFile(file).persistence).toBeUndefined();
    const paths = validateConfig({ listeners: {}, persistence: { dataDir: '', sync: 'sometimes' } }).map(
      (p) => p.path,
    );
    expect(paths).toContain('persistence.dataDir');
    expect(paths).toContain('persistence.sync');
  });
  it('fails with GZ_BROKER_CONFIG naming the file and paths', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'listeners:\n  tcp: { port: -1 }\n');
    expect(() => loadConfigFile(file)).toThrowError(/listeners\.tcp\.port/);
    try {
      loadConfigFile(file);
    } catch (err) {
      expect((err as { code: string }).code).toBe('GZ_BROKER_CONFIG');
    }
  });
});
