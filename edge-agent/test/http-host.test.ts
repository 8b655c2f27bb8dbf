/**
 * DNS rebinding, as an attacker would try it: a page on a domain of theirs, re-resolved to the
 * gateway, makes a browser send requests whose Host header is the attacker's name. The agent's
 * HTTP surface (a real listening socket, started by runGateway from a config) answers only names
 * that are the gateway's: loopback names, IP addresses, the listen host and http.allowedHosts.
 */

import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { MemorySink } from '../src/acquisition/sink.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { type GatewayHandle, runGateway } from '../src/run-gateway.js';
import { logger } from './helpers.js';

/** One raw HTTP/1.1 request with exactly these header lines; resolves with status and body. */
function request(
  port: number,
  path: string,
  headers: string[],
  version = '1.1',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d) => {
      data += d;
    });
    s.on('error', reject);
    s.on('end', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    s.write(
      `GET ${path} HTTP/${version}\r\n${headers.map((h) => `${h}\r\n`).join('')}Connection: close\r\n\r\n`,
    );
  });
}

let gw: GatewayHandle;
let port: number;

beforeAll(async () => {
  const dir = tempDir('ganzhi-agent-host-');
  const file = join(dir, 'gw.yaml');
  writeFileSync(
    file,
    [
      'gateway: gw-host-test',
      'district: dongcheng',
      'devices: []',
      'http: { host: 127.0.0.1, port: 0, allowedHosts: [gw-01.plant.example] }',
    ].join('\n'),
  );
  const loaded = loadConfigFile(file);
  expect(loaded.problems).toEqual([]);
  gw = await runGateway(loaded, { logger, sink: new MemorySink() });
  port = Number(new URL(gw.statusUrl!).port);
});
afterAll(async () => {
  await gw?.stop(0);
});

describe('the agent HTTP surface checks the Host header', () => {
  it('refuses a foreign name on every route, and says nothing about the gateway', async () => {
    for (const path of ['/api/devices', '/', '/metrics', '/healthz', '/readyz', '/no-such-route']) {
      for (const host of [
        'evil.example',
        `evil.example:${port}`,
        'localhost.evil.example',
        'gw-01.plant.example.evil.example',
      ]) {
        const r = await request(port, path, [`Host: ${host}`]);
        expect(r.status, `${host} ${path}`).toBe(421);
        expect(r.body).not.toContain('gw-host-test');
      }
    }
  });

  it('refuses a request without a Host header', async () => {
    // HTTP/1.1 requires one (Node answers 400 itself); HTTP/1.0 may omit it: refused by the check
    const r11 = await request(port, '/api/devices', []);
    expect(r11.status).toBe(400);
    const r10 = await request(port, '/api/devices', [], '1.0');
    expect(r10.status).toBe(421);
    for (const r of [r11, r10]) expect(r.body).not.toContain('gw-host-test');
  });

  it('answers loopback names, IP addresses, the listen host and the configured names', async () => {
    for (const host of [
      `localhost:${port}`,
      'localhost',
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      '192.168.1.20:8080',
      'gw-01.plant.example',
      `GW-01.Plant.Example.:${port}`,
    ]) {
      const r = await request(port, '/api/devices', [`Host: ${host}`]);
      expect(r.status, host).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ gateway: 'gw-host-test', district: 'dongcheng' });
    }
  });
});
