/**
 * What people see, from a realistic run: the demo city's simulators (every protocol, on free
 * ports), one edge agent per gateway (runGateway, as `ganzhi-agent run` does), the project's
 * broker and the ingest with SQLite, and both pages in headless Chromium in Beijing's time zone.
 * One energy meter is unplugged (a simulator `timeout` fault) so that something is down.
 *
 * Checked as a person reads the pages: units as symbols (ppb, °C, kWh — never `[ppb]`, `Cel`,
 * `kW.h`), every value of a point with the point's decimals, one 24-hour clock with the zone
 * named, the down device counted at the top and shown first, the OPC UA pump without a Modbus
 * unit and with the namespace its server advertises, the hub's 24-hour completeness trend, and
 * the CJK glyphs of 感知 and of Chinese place names really drawn (not tofu boxes).
 *
 * With GZ_SCREENSHOT_DIR set, the screenshots are written there (the README's images come from
 * `GZ_SCREENSHOT_DIR=docs/screenshots npx vitest run test/pages-browser.test.ts`); else to a temp dir.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { emptyConfig, type RunningBroker, startBroker } from '@ganzhi/broker';
import { type Ingest, startIngest } from '@ganzhi/cloud-ingest';
import { type GatewayHandle, loadConfigFile, runGateway } from '@ganzhi/edge-agent';
import { agentDeviceOf, loadScenarioFile, Simulation } from '@ganzhi/simulators';
import pino from 'pino';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, chromiumPeer } from '../test-support/chromium.js';
import { tempDir } from '../test-support/process.js';
import { e2eIngestConfig } from './support/hub-stack.js';
import { until as pollUntil } from './support/until.js';

const browserPeer = chromiumPeer();
const root = resolve(import.meta.dirname, '..');
const shots = process.env.GZ_SCREENSHOT_DIR ? resolve(root, process.env.GZ_SCREENSHOT_DIR) : undefined;
const UNPLUGGED = 'dc-em-004';
const logger = pino({ level: 'silent' });

/** This file's pace: a whole demo city starts, so up to 60 s, polled every 250 ms. */
const until = <T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 60_000) =>
  pollUntil(what, f, ms, 250);

/**
 * Whether the page's own font draws each character of `text` as a glyph of its own: each is
 * drawn on a canvas in the computed font of `selector`, and must differ in pixels from the
 * others and from U+10FFFD (a private-use code point no font has, so it is drawn as the
 * fallback's "tofu" box). Without a CJK font every Han character is that same box.
 */
/** The few browser globals the checks use (the tests' TypeScript has no DOM library). */
interface Canvas2d {
  font: string;
  fillStyle: string;
  fillText(t: string, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
}
interface BrowserGlobals {
  document: {
    querySelector(s: string): unknown;
    createElement(t: 'canvas'): { width: number; height: number; getContext(k: '2d'): Canvas2d | null };
  };
  getComputedStyle(e: unknown): { font: string; borderLeftColor: string };
}

async function distinctGlyphs(page: Page, selector: string, text: string) {
  return page.evaluate(
    ({ selector, text }) => {
      const { document, getComputedStyle } = globalThis as unknown as BrowserGlobals;
      const font = getComputedStyle(document.querySelector(selector)).font;
      const draw = (ch: string) => {
        const c = document.createElement('canvas');
        c.width = 64;
        c.height = 64;
        const g = c.getContext('2d')!;
        g.font = font.replace(/\d+(\.\d+)?px/, '40px');
        g.fillStyle = '#000';
        g.fillText(ch, 4, 48);
        const px = g.getImageData(0, 0, 64, 64).data;
        let ink = 0;
        let sig = '';
        for (let i = 3; i < px.length; i += 4) {
          if (px[i]! > 0) ink++;
          sig += px[i]! > 127 ? '1' : '0';
        }
        return { ink, sig };
      };
      const tofu = draw('\u{10FFFD}');
      const chars = [...text].filter((ch) => ch.trim() !== '');
      const glyphs = chars.map((ch) => ({ ch, ...draw(ch) }));
      return {
        font,
        chars: glyphs.map((g) => ({
          ch: g.ch,
          inked: g.ink > 0,
          tofu: g.sig === tofu.sig,
          sameAsAnother: glyphs.some((o) => o.ch !== g.ch && o.sig === g.sig),
        })),
      };
    },
    { selector, text },
  );
}

describe.skipIf(!browserPeer.ok)('the hub page and a gateway status page, from a running demo city', () => {
  const dir = tempDir('ganzhi-pages-');
  let sim: Simulation;
  let broker: RunningBroker;
  let ingest: Ingest;
  const gateways = new Map<string, GatewayHandle>();
  let browser: Browser;
  let context: BrowserContext;
  let hub: Page;
  let status: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const loaded = loadScenarioFile(join(root, 'simulators/scenarios/demo-city.yaml'));
    sim = await Simulation.start({ loaded, anyPort: true, logger });
    const bc = emptyConfig();
    bc.listeners.tcp = { port: 0, host: '127.0.0.1' };
    bc.allowAnonymous = true;
    broker = await startBroker(bc, { logger });
    const mqttUrl = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;
    ingest = await startIngest(e2eIngestConfig(dir, { url: mqttUrl, clientId: 'ingest-pages' }), { logger });
    // one agent per gateway, configured from the scenario as `npm start` does it
    const byGateway = new Map<string, { district: string; devices: unknown[] }>();
    for (const d of loaded.devices) {
      if (!d.gateway || !d.district) continue;
      const info = sim.describe(d.id)!;
      const g = byGateway.get(d.gateway) ?? { district: d.district, devices: [] };
      // the same device entries `npm start` writes; HJ 212 passwords come through the environment
      const { device, env } = agentDeviceOf(d, info.address ?? '');
      g.devices.push(device);
      Object.assign(process.env, env);
      byGateway.set(d.gateway, g);
    }
    await Promise.all(
      [...byGateway].map(async ([gateway, g]) => {
        const file = join(dir, `${gateway}.yaml`);
        writeFileSync(
          file,
          JSON.stringify({
            gateway,
            district: g.district,
            stateDir: `./${gateway}-state`,
            defaults: { pollIntervalMs: 1000, timeoutMs: 500, retries: 1, backoff: { initialMs: 2000 } },
            devices: g.devices,
            delivery: {
              mqtt: { url: mqttUrl, reconnect: { initialMs: 200, maxMs: 2000 } },
              buffer: { fsync: 'never' },
            },
            http: { port: 0 },
          }),
        );
        const cfg = loadConfigFile(file);
        if (cfg.problems.length) throw new Error(JSON.stringify(cfg.problems));
        gateways.set(gateway, await runGateway(cfg, { logger }));
      }),
    );
    // the meter is unplugged: it answers nothing from now on
    sim.devices.get(UNPLUGGED)!.faults.add({ id: 'unplugged', kind: 'timeout' });
    await until('the hub to see the unplugged meter down and every gateway online', async () => {
      const o = (await ingest.http.inject({ url: '/api/hub/overview' })).json() as {
        totals: { gatewayCounts: { online: number } };
        districts: { attention: { device: string; state: string }[] }[];
      };
      const down = o.districts.some((d) =>
        d.attention.some((a) => a.device === UNPLUGGED && a.state === 'down'),
      );
      return down && o.totals.gatewayCounts.online === byGateway.size;
    });

    browser = await chromium.launch({ executablePath: browserPeer.path, args: CHROMIUM_ARGS });
    // the city's own clock: times on the pages are Beijing time, and say so
    context = await browser.newContext({
      timezoneId: 'Asia/Shanghai',
      viewport: { width: 1400, height: 1100 },
    });
    hub = await context.newPage();
    status = await context.newPage();
    for (const p of [hub, status]) p.on('pageerror', (e) => pageErrors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await Promise.allSettled([...gateways.values()].map((g) => g.stop(500)));
    await ingest?.close();
    await broker?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status page: the unplugged meter is counted at the top and shown first, in red', async () => {
    await status.goto(gateways.get('dc-gw-01')!.statusUrl!);
    await status.locator('#count-down[data-count="1"]').waitFor();
    expect(await status.locator('#count-down').textContent()).toBe('1 down');
    const first = status.locator('section.device').first();
    expect(await first.getAttribute('data-device')).toBe(UNPLUGGED);
    expect(await first.getAttribute('data-state')).toBe('down');
    expect(await first.locator('.last-error').textContent()).toMatch(/timeout|backoff/);
    // found and styled in one step in the page: the page re-renders its sections on every
    // refresh, and an element handle held across two steps can be a detached one (style '')
    const edge = await status.evaluate((sel) => {
      const { document, getComputedStyle } = globalThis as unknown as BrowserGlobals;
      return getComputedStyle(document.querySelector(sel)).borderLeftColor;
    }, `section.device[data-device="${UNPLUGGED}"]`);
    expect(edge).toBe('rgb(220, 38, 38)');
    // its bad rows (one per point) are folded into one line saying why
    const rows = await first.locator('tr[data-point]').count();
    expect(rows).toBeGreaterThan(20);
    expect(await first.locator('summary.allbad').textContent()).toMatch(
      new RegExp(`^all ${rows} points bad: (timeout|backoff)$`),
    );
    expect(await first.locator('tr[data-point="voltage_l1"]').isVisible()).toBe(false);
  });

  it('status page: units as symbols, each point with its decimals, 24-hour times in a named zone', async () => {
    const meter = status.locator('section.device[data-device="dc-em-001"]');
    const row = (dev: string, point: string) =>
      status.locator(`section.device[data-device="${dev}"] tr[data-point="${point}"]`);
    await row('dc-em-001', 'voltage_l1').locator('td.value').filter({ hasNotText: '—' }).waitFor();
    await row('dc-aq-001', 'no2').locator('td.value').filter({ hasNotText: '—' }).waitFor();
    const cells = async (dev: string, point: string) =>
      row(dev, point)
        .locator('td')
        .evaluateAll((tds) => tds.map((t) => t.textContent ?? ''));
    const [, volts, vUnit] = await cells('dc-em-001', 'voltage_l1');
    expect(volts).toMatch(/^2\d\d\.\d$/); // float32 volts, range 0–500 V: one decimal
    expect(vUnit).toBe('V');
    const [, pf] = await cells('dc-em-001', 'power_factor_l1');
    expect(pf).toMatch(/^0\.\d{3}$/); // range 0–1: three decimals
    const [, , kwh] = await cells('dc-em-001', 'energy_import');
    expect(kwh).toBe('kWh');
    const [, no2, ppb] = await cells('dc-aq-001', 'no2');
    expect(no2).toMatch(/^\d+$/);
    expect(ppb).toBe('ppb');
    const [, temp, cel] = await cells('dc-aq-001', 'temperature');
    expect(temp).toMatch(/^-?\d+\.\d$/); // int16 × 0.1
    expect(cel).toBe('°C');
    // no raw UCUM anywhere in the unit columns
    const units = await status.locator('td.unit').evaluateAll((tds) => tds.map((t) => t.textContent ?? ''));
    expect(units.filter((u) => /[[\]]|^1$|Cel|\w\.\w|ug\/|\/min/.test(u))).toEqual([]);
    const time = await row('dc-em-001', 'voltage_l1').locator('td.time').textContent();
    expect(time).toMatch(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d \(\d+\.\d s ago\)$/);
    expect(await status.locator('#zone').textContent()).toBe('times: Asia/Shanghai, UTC+8');
    expect(await meter.locator('.where').textContent()).toContain('unit 1');
    await status.screenshot({ path: join(shots ?? dir, 'gateway-status.png'), fullPage: false });
  });

  it('status page: the OPC UA pump has no Modbus unit and shows the namespace its server advertises', async () => {
    await status.goto(gateways.get('dc-gw-03')!.statusUrl!);
    const pump = status.locator('section.device[data-device="dc-pump"]');
    await pump.locator('tr[data-point="flow"] td.value').filter({ hasNotText: '—' }).waitFor();
    expect(await pump.locator('.where').textContent()).not.toMatch(/unit \d/);
    const address = await pump.locator('tr[data-point="flow"] td.address').textContent();
    expect(address).toBe('nsu=urn:ganzhi:pump-station/dc-pump;s=Pump1.Measurements.Flow');
    // the session's own form, for whoever compares with a browse of the server
    expect(await pump.locator('tr[data-point="flow"] td.address').getAttribute('title')).toMatch(
      /^this session: ns=\d+;s=Pump1\.Measurements\.Flow$/,
    );
    const [, speed, rpm] = await pump
      .locator('tr[data-point="speed"] td')
      .evaluateAll((tds) => tds.map((t) => t.textContent ?? ''));
    expect(rpm).toBe('rpm');
    expect(speed).toMatch(/^\d+(\.\d+)?$/);
    const [, running, none] = await pump
      .locator('tr[data-point="running"] td')
      .evaluateAll((tds) => tds.map((t) => t.textContent ?? ''));
    expect(running).toMatch(/^(true|false)$/);
    expect(none).toBe('');
  });

  it('hub page: the down device is counted at the top and listed first in its district', async () => {
    await hub.goto(`${ingest.httpUrl}/hub`);
    const dongcheng = hub.locator('article[data-district="dongcheng"]');
    await dongcheng.locator('table.attention tr[data-device]').first().waitFor();
    expect(await hub.locator('#tot-attention [data-state="down"]').getAttribute('data-count')).not.toBe('0');
    const firstRow = dongcheng.locator('table.attention tbody tr').first();
    expect(await firstRow.getAttribute('data-state')).toBe('down');
    expect(await firstRow.getAttribute('data-device')).toBe(UNPLUGGED);
    expect(await dongcheng.getAttribute('class')).toContain('has-down');
  });

  it('hub page: per district, the completeness of each of the last 24 hours', async () => {
    const trend = hub.locator('article[data-district="xicheng"] svg.trend');
    await trend.waitFor();
    expect(await trend.getAttribute('data-hours')).toBe('24');
    const bars = await trend
      .locator('rect')
      .evaluateAll((rs) =>
        rs.map((r) => [Number(r.getAttribute('data-hour')), r.getAttribute('data-ratio')]),
      );
    expect(bars).toHaveLength(24);
    // hourly, oldest first, ending at the current hour; the hours since the run began have
    // batches in them, complete (an hour that just began may have none yet)
    for (let i = 1; i < bars.length; i++) expect(bars[i]![0]! - bars[i - 1]![0]!).toBe(3_600_000);
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    expect([hour, hour - 3_600_000]).toContain(bars[23]![0]);
    const withData = bars.filter(([, r]) => r !== '' && r !== null);
    expect(withData.length).toBeGreaterThanOrEqual(1);
    expect(withData.every(([h]) => h! >= hour - 3_600_000)).toBe(true);
    expect(withData.every(([, r]) => Number(r) > 0.9)).toBe(true);
  });

  it('hub page: symbols in the point list and the chart, the point decimals, the zone named', async () => {
    await hub.selectOption('#sel-district', 'dongcheng');
    await hub.selectOption('#sel-gateway', 'dc-gw-01');
    await hub.locator('#sel-device option[value="dc-aq-001"]').waitFor({ state: 'attached' });
    // down first in the device list too
    expect(await hub.locator('#sel-device option').first().getAttribute('value')).toBe(UNPLUGGED);
    await hub.selectOption('#sel-device', 'dc-aq-001');
    await hub.locator('#sel-point option[value="no2"]').waitFor({ state: 'attached' });
    const labels = await hub
      .locator('#sel-point option')
      .evaluateAll((os) => os.map((o) => o.textContent ?? ''));
    expect(labels).toContain('no2 (ppb)');
    expect(labels).toContain('temperature (°C)');
    expect(labels).toContain('pm2_5 (µg/m³)');
    expect(labels.filter((l) => /\[|Cel|ug\/m3/.test(l))).toEqual([]);
    await hub.selectOption('#sel-point', 'temperature');
    await hub.locator('#chart[data-point="temperature"]').waitFor({ state: 'attached' });
    await until('a temperature value in the chart', async () =>
      /°C/.test((await hub.locator('#chartinfo').textContent()) ?? ''),
    );
    expect(await hub.locator('#chartinfo').textContent()).toMatch(
      /^temperature: -?\d+\.\d °C at ([01]\d|2[0-3]):[0-5]\d:[0-5]\d · /,
    );
    expect(await hub.locator('#zone').textContent()).toBe('times: Asia/Shanghai, UTC+8');
    await hub.screenshot({ path: join(shots ?? dir, 'hub.png'), fullPage: false });
  });

  it('both pages draw 感知 and Chinese place names with real glyphs, not tofu boxes', async () => {
    const names = '感知东城西城海淀朝阳';
    if (hub.url() === 'about:blank') await hub.goto(`${ingest.httpUrl}/hub`);
    if (status.url() === 'about:blank') await status.goto(gateways.get('dc-gw-01')!.statusUrl!);
    for (const [page, title] of [
      [hub, 'header h1'],
      [status, 'header h1'],
    ] as const) {
      expect(await page.locator(title).textContent()).toContain('感知');
      const r = await distinctGlyphs(page, title, names);
      const bad = r.chars.filter((c) => !c.inked || c.tofu || c.sameAsAnother).map((c) => c.ch);
      expect(bad, `not drawn as glyphs in ${r.font} (install fonts-noto-cjk)`).toEqual([]);
    }
  });

  it('raised no script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

if (shots) mkdirSync(shots, { recursive: true });
