/**
 * The hub page in headless Chromium, as a user would use it: load /hub from a real port,
 * see both districts and which gateways are online or offline, pick a point, and see a
 * reading that arrives afterwards appear in the chart. The source is fed real contract
 * messages. Leaves one screenshot at /tmp/hub.png.
 */
import { rmSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPeer, launchChromium } from '../../test-support/chromium.js';
import { tempDir } from '../../test-support/process.js';
import { createMemoryHubSource, type MemoryHubSource } from '../src/hub/memory-source.js';
import { hubPlugin } from '../src/hub/plugin.js';
import { City } from './hub-fixtures.js';

const browserPeer = chromiumPeer();
const meter1 = { district: 'dongcheng', gateway: 'gw-01', device: 'meter-1' };

describe.skipIf(!browserPeer.ok)('hub page in Chromium', () => {
  let app: FastifyInstance;
  let base: string;
  let source: MemoryHubSource;
  let city: City;
  let context: BrowserContext;
  let page: Page;
  let profileDir: string;
  const requests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    source = createMemoryHubSource();
    city = new City(source, Date.now);
    city.build();
    const t = Date.now();
    city.voltage(meter1, 230, t - 3000);
    city.voltage(meter1, 231.5, t - 2000);
    city.voltage(meter1, 229, t - 1000);
    city.data(
      { district: 'xicheng', gateway: 'gw-03', device: 'meter-3' },
      'eastron-sdm120',
      'energy_meter',
      [{ point: 'voltage', value: 228, ts: t, quality: 'good' }],
    );
    app = Fastify();
    await app.register(hubPlugin, { source, refreshMs: 250 });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    profileDir = tempDir('ganzhi-hub-chromium-');
    context = await launchChromium(browserPeer.path, profileDir, { width: 1280, height: 900 });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await app?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('shows both districts and which gateways are online or offline', async () => {
    await page.goto(`${base}/hub`);
    const dongcheng = page.locator('article[data-district="dongcheng"]');
    const xicheng = page.locator('article[data-district="xicheng"]');
    await dongcheng.waitFor();
    await xicheng.waitFor();
    expect(await dongcheng.locator('h2').textContent()).toBe('dongcheng');
    expect(await dongcheng.locator('tr[data-gateway="gw-01"]').getAttribute('data-state')).toBe('online');
    expect(await dongcheng.locator('tr[data-gateway="gw-02"]').getAttribute('data-state')).toBe('offline');
    expect(await xicheng.locator('tr[data-gateway="gw-03"]').getAttribute('data-state')).toBe('online');
    expect(await dongcheng.locator('tr[data-gateway="gw-02"] .pill').textContent()).toBe('offline');
    // devices by state, as the office reads them
    const stats = await dongcheng.locator('.stats').textContent();
    expect(stats).toContain('1 up');
    expect(stats).toContain('1 degraded');
    expect(stats).toContain('1 down');
  });

  it('charts the chosen point and shows a reading that arrives later', async () => {
    await page.selectOption('#sel-district', 'dongcheng');
    await page.selectOption('#sel-gateway', 'gw-01');
    await page.selectOption('#sel-device', 'meter-1');
    await page.selectOption('#sel-point', 'voltage_l1');
    const chart = page.locator('#chart[data-point="voltage_l1"][data-count="3"]');
    await chart.waitFor({ state: 'attached' });
    const values = () =>
      page.locator('#chart circle').evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('data-value'))));
    expect(await values()).toEqual([230, 231.5, 229]);

    city.voltage(meter1, 245.5);
    await page.locator('#chart circle[data-value="245.5"]').waitFor({ state: 'attached' });
    expect(await values()).toEqual([230, 231.5, 229, 245.5]);
    expect(await page.locator('#chart').getAttribute('data-last-value')).toBe('245.5');
    expect(await page.locator('#chartinfo').textContent()).toContain('245.5 V');
    // the line itself is drawn through the points
    expect(await page.locator('#chart polyline.line').count()).toBeGreaterThan(0);
    await page.screenshot({ path: '/tmp/hub.png', fullPage: true });
  });

  it('says so when the API stops answering, and recovers when it answers again', async () => {
    // fault injection: the browser drops the overview requests
    await page.route('**/api/hub/overview', (r) => r.abort());
    await page.locator('#alert.show').waitFor();
    expect(await page.locator('#alert').textContent()).toContain('The hub API is not answering');
    // the last figures stay on screen
    expect(await page.locator('article[data-district="xicheng"]').count()).toBe(1);
    await page.unroute('**/api/hub/overview');
    await page.locator('#alert:not(.show)').waitFor({ state: 'attached' });
  });

  it('loads nothing from anywhere but the hub itself and raises no script errors', () => {
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith(base))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
