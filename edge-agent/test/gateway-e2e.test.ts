/**
 * The whole gateway as a field engineer runs it: a Modbus TCP simulator, `runGateway` with a
 * config file (durable buffer + MQTT to a real Aedes broker), a subscriber on the hub side,
 * and the status page in headless Chromium showing a value change.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DataBatch, decodeDataBatch } from '@ganzhi/device-profiles';
import { parseScenario, Simulation } from '@ganzhi/simulators';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../test-support/chromium.js';
import { peer } from '../../test-support/peers.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { type GatewayHandle, runGateway } from '../src/run-gateway.js';
import { logger } from './helpers.js';

const chromiumPeer = peer('chromium', 'chromium');

let aedes: Aedes;
let server: Server;
let brokerPort = 0;
let sim: Simulation;
let gw: GatewayHandle;
let sub: MqttClient;
const dir = mkdtempSync(join(tmpdir(), 'ganzhi-gw-e2e-'));
const received: DataBatch[] = [];

async function until<T>(what: string, f: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  aedes = await Aedes.createBroker();
  server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  brokerPort = typeof a === 'object' && a ? a.port : 0;

  const { loaded, problems } = parseScenario(
    'seed: 3\ndevices:\n  - { id: em-1, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 0 }, unit: 5 }\n',
    join(dir, 'scenario.yaml'),
  );
  if (!loaded) throw new Error(JSON.stringify(problems));
  sim = await Simulation.start({ loaded, anyPort: true });

  sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'hub-sub' });
  sub.on('message', (topic, payload) => {
    if (!topic.endsWith('/data')) return;
    const d = decodeDataBatch(payload);
    if (d.ok) received.push(d.value);
  });
  await sub.subscribeAsync('gz/v1/+/+/+/data', { qos: 1 });

  const cfg = join(dir, 'gateway.yaml');
  writeFileSync(
    cfg,
    [
      'gateway: gw-e2e',
      'district: dongcheng',
      'stateDir: ./state',
      'devices:',
      `  - { id: meter-1, profile: eastron-sdm120, endpoint: "modbus-tcp://${sim.describe('em-1')?.address}", unitId: 5, pollIntervalMs: 200 }`,
      'delivery:',
      `  mqtt: { url: "mqtt://127.0.0.1:${brokerPort}", reconnect: { initialMs: 50, maxMs: 500 } }`,
      '  buffer: { fsync: never }',
      'http: { port: 0 }',
    ].join('\n'),
  );
  const loadedCfg = loadConfigFile(cfg);
  expect(loadedCfg.problems).toEqual([]);
  gw = await runGateway(loadedCfg, { logger });
});

afterAll(async () => {
  await gw?.stop(1000);
  await sub?.endAsync();
  await sim?.stop();
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => aedes.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway end to end', () => {
  it('delivers the simulator ground truth to the hub, numbered, with source timestamps', async () => {
    await until('three batches', () => received.length >= 3);
    const b = received[received.length - 1]!;
    expect(b).toMatchObject({
      district: 'dongcheng',
      gateway: 'gw-e2e',
      device: 'meter-1',
      model: 'eastron-sdm120',
    });
    const seqs = received.map((x) => x.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    // every reading decodes to a value the simulator served for that point
    const truth = sim.devices.get('em-1')!.truth();
    const voltage = b.readings.find((r) => r.point === 'voltage');
    expect(voltage?.quality).toBe('good');
    expect(typeof voltage?.value).toBe('number');
    expect(truth.voltage?.served).toBeGreaterThanOrEqual(3);
    expect(Math.abs((voltage?.ts ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    const base = gw.statusUrl!;
    expect((await fetch(`${base}healthz`)).status).toBe(200);
    await until('ready', () => gw.uplink?.counters.connected);
    const ready = await fetch(`${base}readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, uplink: 'connected', devices: 1 });
    const metrics = await (await fetch(`${base}metrics`)).text();
    expect(metrics).toMatch(/^ganzhi_agent_points_read_total\{device="meter-1"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^ganzhi_agent_uplink_connected 1$/m);
    expect(metrics).toMatch(/^ganzhi_agent_buffer_dropped_total 0$/m);
  });

  describe.skipIf(!chromiumPeer.ok)('status page in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: chromiumPeer.path, args: CHROMIUM_ARGS });
    });
    afterAll(async () => browser?.close());

    it('shows the device up, values with units and raw registers, and a value changing', async () => {
      const page = await browser.newPage();
      await page.goto(gw.statusUrl!);
      const row = page.locator('section.device[data-device="meter-1"] tr[data-point="voltage"]');
      await row.locator('.value').filter({ hasNotText: '—' }).waitFor({ timeout: 10_000 });
      await expect(page.locator('section.device[data-device="meter-1"] .state').textContent()).resolves.toBe(
        'up',
      );
      expect(await row.locator('td').nth(2).textContent()).toBe('V');
      expect(await row.locator('td.raw').textContent()).toMatch(/^[0-9a-f]{4} [0-9a-f]{4}$/);
      expect(await page.locator('#uplink-state').textContent()).toBe('uplink connected');
      // the simulator's signal moves: the page must show a different value within a few refreshes
      const first = await row.locator('.value').textContent();
      const deadline = Date.now() + 15_000;
      while ((await row.locator('.value').textContent()) === first) {
        if (Date.now() > deadline) throw new Error(`voltage stayed at ${first} on the page`);
        await page.waitForTimeout(200);
      }
      await page.screenshot({ path: join(tmpdir(), 'ganzhi-agent-status.png'), fullPage: true });
      await page.close();
    });
  });
});
