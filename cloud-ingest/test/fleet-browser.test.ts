/**
 * The hub page's fleet view (issue 16) in headless Chromium, every component real: our broker
 * with users (the hub a delegate operator of north and south — the broker stamps and checks every
 * desired config, wip/fleet-trust), the edge agent (runGateway, as `ganzhi-agent run`) polling the
 * simulated streetlight controller over Modbus TCP, and the ingest with SQLite and hub operators
 * (alice: north, bob: south). The gateway is put under fleet management first as version 1 (its
 * own file, pushed through the hub API as the demo's start does).
 *
 * As an operator uses the page: the gateway is listed with v1 applied; a changed poll interval
 * is confirmed, pushed, goes pending → applied with version 2, and the agent runs it (its file
 * says so, data keeps coming); a document with errors (a Chinese device id, retries above the
 * schema's maximum) goes rejected with the validator's problem paths, in the editor, in the table
 * (the Chinese id drawn with real CJK glyphs, not tofu boxes), in the history and under the
 * "failed" filter, and the gateway keeps version 2; an uplink change the broker refuses (a user
 * that does not exist) is rolled back by the gateway after its trial (5 s here) and the page shows
 * rolled back with the reason, the gateway still on version 2 with its data flowing; bob (south) does not see the
 * gateway, and his push from the page's signed-in session is refused with nothing published.
 * Markup in a pushed label (listed in the table, quoted back by the validator) stays text: no
 * element, no script. Credentials stay in the page's memory. With GZ_SCREENSHOT_DIR set, the view and the
 * confirmation are saved there (docs/screenshots/hub-fleet-*.png).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeDesiredConfig } from '@ganzhi/device-profiles/contract';
import { type GatewayHandle, loadConfigFile, runGateway } from '@ganzhi/edge-agent';
import { agentDeviceOf, parseScenario, Simulation } from '@ganzhi/simulators';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPeer, launchChromium, pageStorage, watchedPage } from '../../test-support/chromium.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { Ingest } from '../src/ingest.js';
import { capturedLogger } from './captured-logger.js';
import { startHubStack } from './hub-stack.js';
import { loginAs, type RealBroker } from './real-broker.js';

const browserPeer = chromiumPeer();
const shots = process.env.GZ_SCREENSHOT_DIR
  ? resolve(import.meta.dirname, '../..', process.env.GZ_SCREENSHOT_DIR)
  : undefined;
const GW = 'gw-n1';
const LIGHT = 'light-1';
const CONFIG_TOPIC = `gz/v1/north/${GW}/config`;
const MARKUP = '<img src=x onerror=alert(1)>';

interface FleetGatewayView {
  district: string;
  gateway: string;
  desired: { version: number; issuer: string | null; onBehalfOf: string | null } | null;
  state: { status: string; appliedVersion: number } | null;
  sync: string;
}

/**
 * The characters of `text` that the computed font of `selector` does NOT draw as glyphs of their
 * own: each is drawn on a canvas and must leave ink, differ from the others and from U+10FFFD (a
 * code point no font has: the fallback's "tofu" box). Without a CJK font every Han character is
 * that box (Debian: fonts-noto-cjk). The same check as test/pages-browser.test.ts makes.
 */
async function undrawn(page: Page, selector: string, text: string): Promise<{ font: string; bad: string[] }> {
  return page.evaluate(
    ({ selector, text }) => {
      interface Ctx {
        font: string;
        fillText(t: string, x: number, y: number): void;
        getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
      }
      const w = globalThis as unknown as {
        document: {
          querySelector(s: string): unknown;
          createElement(t: 'canvas'): { width: number; height: number; getContext(k: '2d'): Ctx | null };
        };
        getComputedStyle(e: unknown): { font: string };
      };
      const font = w.getComputedStyle(w.document.querySelector(selector)).font;
      const sig = (ch: string) => {
        const c = w.document.createElement('canvas');
        c.width = 64;
        c.height = 64;
        const g = c.getContext('2d')!;
        g.font = font.replace(/\d+(\.\d+)?px/, '40px');
        g.fillText(ch, 4, 48);
        const px = g.getImageData(0, 0, 64, 64).data;
        let bits = '';
        for (let i = 3; i < px.length; i += 4) bits += px[i]! > 127 ? '1' : '0';
        return bits;
      };
      const tofu = sig('\u{10FFFD}');
      const chars = [...text];
      const sigs = chars.map(sig);
      const bad = chars.filter(
        (_ch, i) =>
          !sigs[i]!.includes('1') || sigs[i] === tofu || sigs.some((o, j) => j !== i && o === sigs[i]),
      );
      return { font, bad };
    },
    { selector, text },
  );
}

describe.skipIf(!browserPeer.ok)(
  'the fleet view of the hub page in Chromium (real broker, agent, simulator, ingest)',
  () => {
    const dir = tempDir('ganzhi-fleet-page-');
    const log = capturedLogger('warn');
    let sim: Simulation;
    let broker: RealBroker;
    let ingest: Ingest;
    let agent: GatewayHandle | undefined;
    let watcher: MqttClient;
    let context: BrowserContext;
    let gwConfigFile = '';
    /** every desired config the broker delivered to a watching admin (what was published at all) */
    const desired: { version: number; issuer?: string; onBehalfOf?: string }[] = [];
    /** the retained desired config, as a (re)subscription hands it over */
    const retained: { version: number }[] = [];
    let batches = 0;
    const pageErrors: string[] = [];
    /** alert() and friends: a script from the data would open one */
    const jsDialogs: string[] = [];

    const basic = (name: string) => `Basic ${Buffer.from(`${name}:${name}-secret`).toString('base64')}`;
    const fleetOf = async (who: string) => {
      const r = await ingest.http.inject({
        url: `/api/fleet/north/${GW}`,
        headers: { authorization: basic(who) },
      });
      return r.statusCode === 200 ? (r.json() as FleetGatewayView) : undefined;
    };

    async function openHub(): Promise<Page> {
      const page = await watchedPage(context, pageErrors, jsDialogs);
      await page.goto(`${ingest.httpUrl}/hub`);
      await page.locator('#fleet-signin').waitFor();
      return page;
    }
    async function signIn(page: Page, name: string, password = `${name}-secret`) {
      await page.locator('#dlg-login').waitFor();
      await page.fill('#login-name', name);
      await page.fill('#login-pass', password);
      await page.keyboard.press('Enter');
    }
    const row = (page: Page) => page.locator(`#fleet-list tr[data-gateway="${GW}"]`);
    const outcome = (page: Page) => page.locator('#fleet-outcome');
    /** every state the editor's outcome took, in order (a MutationObserver: no timing) */
    const watchOutcome = (page: Page) =>
      page.evaluate(() => {
        interface El {
          getAttribute(n: string): string | null;
        }
        const w = globalThis as unknown as {
          __outcomes: string[];
          document: { getElementById(id: string): El | null };
          MutationObserver: new (f: () => void) => { observe(t: El, o: unknown): void };
        };
        w.__outcomes = [];
        const o = w.document.getElementById('fleet-outcome');
        if (!o) throw new Error('no editor open');
        new w.MutationObserver(() => {
          const s = o.getAttribute('data-outcome') ?? '';
          if (w.__outcomes.at(-1) !== s) w.__outcomes.push(s);
        }).observe(o, { attributes: true, attributeFilter: ['data-outcome'] });
      });
    const outcomes = (page: Page) =>
      page.evaluate(() => (globalThis as unknown as { __outcomes: string[] }).__outcomes);
    const until = async (page: Page, state: string) => {
      try {
        await page.locator(`#fleet-outcome[data-outcome="${state}"]`).waitFor({ timeout: 30_000 });
      } catch {
        throw new Error(`expected ${state}, the page says: ${await outcome(page).textContent()}`);
      }
      return outcome(page).textContent();
    };

    beforeAll(async () => {
      const scenarioText = [
        'name: fleet-page',
        'seed: 16',
        'devices:',
        `  - { id: ${LIGHT}, profile: streetlight-controller, district: north, gateway: ${GW}, endpoint: { protocol: modbus-tcp, port: 15122 }, unit: 1,`,
        '      signals: { lamp_on: { kind: constant, value: false }, dim_level: { kind: constant, value: 80 } } }',
      ].join('\n');
      const { loaded, problems } = parseScenario(scenarioText, join(dir, 'scenario.yaml'));
      expect(problems).toEqual([]);
      sim = await Simulation.start({ loaded: loaded!, anyPort: true, logger: pino({ level: 'silent' }) });

      // the hub's MQTT user as deployed: an operator that may act for the persons it authenticated
      ({ broker, ingest } = await startHubStack({
        hubDistricts: ['north', 'south'],
        gateways: { north: [GW] },
        users: { watch: { role: 'admin' } },
        dir,
        clientId: 'ingest',
        operators: { alice: ['north'], bob: ['south'] },
        logger: log.logger,
      }));
      watcher = await loginAs(broker.url, 'watch');
      watcher.on('message', (topic, payload, packet) => {
        if (topic === CONFIG_TOPIC && payload.length > 0) {
          const d = decodeDesiredConfig(payload);
          if (d.ok) (packet.retain ? retained : desired).push(d.value);
        }
        if (topic.endsWith(`/${LIGHT}/data`)) batches++;
      });
      await watcher.subscribeAsync([CONFIG_TOPIC, `gz/v1/north/${GW}/+/data`], { qos: 1 });

      const devices = loaded!.devices.map((d) => agentDeviceOf(d, sim.describe(d.id)!.address ?? '').device);
      gwConfigFile = join(dir, `${GW}.json`);
      const own = {
        gateway: GW,
        district: 'north',
        labels: ['streetlights'],
        stateDir: './state',
        defaults: { pollIntervalMs: 1000, timeoutMs: 1000, retries: 1 },
        devices,
        delivery: {
          mqtt: {
            url: broker.url,
            username: GW,
            // the agent's own secret reference, resolved from the environment at load
            // biome-ignore lint/suspicious/noTemplateCurlyInString: not a template, the agent's syntax
            password: '${ENV:GW_PW}',
            reconnect: { initialMs: 100, maxMs: 500 },
          },
          buffer: { fsync: 'never' },
        },
        http: { port: 0 },
      };
      writeFileSync(gwConfigFile, JSON.stringify(own, null, 2));
      const env = { ...process.env, GW_PW: `${GW}-password` };
      const loadedCfg = loadConfigFile(gwConfigFile, { env });
      expect(loadedCfg.problems).toEqual([]);
      agent = await runGateway(loadedCfg, {
        logger: pino({ level: 'silent' }),
        httpPort: 0,
        env,
        fleet: { trialMs: 5000 },
      });
      await waitFor('the hub knows the gateway', async () => (await fleetOf('alice')) ?? undefined, 30_000);

      // under fleet management from the start: its own document as version 1 (as the demo's start does)
      const r = await ingest.http.inject({
        method: 'POST',
        url: '/api/fleet/push',
        headers: { authorization: basic('alice'), 'content-type': 'application/json' },
        payload: JSON.stringify({ target: { district: 'north', gateway: GW }, config: own }),
      });
      expect(r.statusCode, r.body).toBe(202);
      await waitFor(
        'version 1 applied',
        async () => {
          const g = await fleetOf('alice');
          return g?.sync === 'applied' && g.state?.appliedVersion === 1 ? true : undefined;
        },
        30_000,
      );

      context = await launchChromium(browserPeer.path, tempDir('ganzhi-fleet-page-chromium-'), {
        width: 1280,
        height: 1200,
      });
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      await agent?.stop(500);
      await watcher?.endAsync();
      await ingest?.close();
      await broker?.close();
      await sim?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists the gateway for alice, pushes a changed poll interval with confirmation: pending → applied as version 2', async () => {
      const page = await openHub();
      expect(await page.locator('#fleet-list').textContent()).toContain('sign in');
      await page.click('#fleet-signin');
      await signIn(page, 'alice', 'not-her-password');
      await page.locator('#login-msg', { hasText: 'not accepted' }).waitFor();
      await signIn(page, 'alice');
      await row(page).waitFor();
      const cells = async () => (await row(page).locator('td').allTextContents()).slice(0, 7);
      expect(await cells()).toEqual(['north', GW, 'online', 'streetlights', 'v1', 'v1', 'applied']);

      await page.getByRole('button', { name: `Push a configuration to ${GW}` }).click();
      const interval = page.getByRole('spinbutton', { name: 'Poll interval (ms)' });
      await interval.waitFor();
      expect(await interval.inputValue()).toBe('1000');
      expect(JSON.parse(await page.locator('#fleet-doc').inputValue())).toMatchObject({
        gateway: GW,
        defaults: { pollIntervalMs: 1000 },
      });
      if (shots) {
        mkdirSync(shots, { recursive: true });
        await page.locator('#fleet').screenshot({ path: join(shots, 'hub-fleet-view.png') });
      }

      // a value the agent's schema refuses never reaches a confirmation
      await interval.fill('5');
      await page.getByRole('button', { name: 'Push poll interval…' }).click();
      expect(await until(page, 'invalid')).toBe('poll interval: at least 10 ms');

      // cancelled: nothing published
      await interval.fill('2500');
      await interval.press('Enter');
      expect(await page.locator('#fleet-confirm-text').textContent()).toBe(
        `Push to gateway ${GW} (district north): poll interval 1000 ms → 2500 ms as version 2?`,
      );
      if (shots) await page.screenshot({ path: join(shots, 'hub-fleet-confirm.png') });
      await page.keyboard.press('Escape');
      expect(await until(page, 'cancelled')).toBe('cancelled: nothing was pushed');
      expect(desired.map((d) => d.version)).toEqual([1]);

      await watchOutcome(page);
      const batchesBefore = batches;
      await page.getByRole('button', { name: 'Push poll interval…' }).click();
      await page.getByRole('button', { name: 'Push configuration' }).click();
      expect(await until(page, 'applied')).toBe(`applied: version 2 is running on ${GW}`);
      const seen = await outcomes(page);
      expect(seen.indexOf('pending')).toBeGreaterThanOrEqual(0);
      expect(seen.indexOf('pending')).toBeLessThan(seen.indexOf('applied'));
      expect(seen).not.toContain('rejected');
      expect(await page.locator('#fleet-outcome').getAttribute('data-version')).toBe('2');

      // the table follows: desired v2, applied v2, applied
      await page.locator(`#fleet-list tr[data-gateway="${GW}"] td.desired`, { hasText: 'v2' }).waitFor();
      await page
        .locator(`#fleet-list tr[data-gateway="${GW}"][data-sync="applied"] td.applied`, { hasText: 'v2' })
        .waitFor();
      expect(await page.locator('#fleet-editor .meta').textContent()).toBe(
        'desired v2 by hub for alice · applied',
      );
      // the editor's history, newest first: the gateway's report after the push
      const history = (await page.locator('#fleet-history li').allTextContents()).map((t) =>
        t.replace(/^\d\d:\d\d:\d\d /, ''),
      );
      expect(history[0]).toBe('v2 applied');
      expect(history).toContain('v2 pushed by hub for alice');
      expect(history).toContain('v1 pushed by hub for alice');
      // the label filter keeps it
      await page.selectOption('#fleet-label', 'streetlights');
      await row(page).waitFor();
      await page.selectOption('#fleet-label', '');

      // what went out: one document, version 2, stamped by the broker for alice
      expect(desired.map((d) => [d.version, d.issuer, d.onBehalfOf])).toEqual([
        [1, 'hub', 'alice'],
        [2, 'hub', 'alice'],
      ]);
      // the agent runs it (its config file replaced atomically) and data keeps coming
      expect(JSON.parse(readFileSync(gwConfigFile, 'utf8')).defaults.pollIntervalMs).toBe(2500);
      expect(agent?.fleet?.state.appliedVersion).toBe(2);
      await waitFor('data after the push', () => (batches > batchesBefore + 1 ? true : undefined), 20_000);

      // the credentials are in the page's memory only, and not in the ingest's log
      expect(await pageStorage(page)).toEqual([0, 0, '']);
      expect((await context.cookies()).length).toBe(0);
      expect(JSON.stringify(log.lines)).not.toContain('alice-secret');
      await page.close();
    }, 120_000);

    it("a document with errors goes rejected with the validator's problem paths; the gateway keeps version 2", async () => {
      const page = await openHub();
      await page.click('#fleet-signin');
      await signIn(page, 'alice');
      await row(page).waitFor();
      await page.getByRole('button', { name: `Push a configuration to ${GW}` }).click();
      const doc = page.locator('#fleet-doc');
      await doc.waitFor();
      const edited = JSON.parse(await doc.inputValue());
      edited.devices[0].id = '路灯一号';
      edited.defaults.retries = 99;
      // markup where the gateway's validator quotes it back and the table lists labels: stays text
      edited.labels = [MARKUP];
      await doc.fill(JSON.stringify(edited, null, 2));
      await page.getByRole('button', { name: 'Push document…' }).click();
      expect(await page.locator('#fleet-confirm-text').textContent()).toBe(
        `Push to gateway ${GW} (district north): the edited document (changes defaults.retries, devices[0].id, labels[0]) as version 3?`,
      );
      await watchOutcome(page);
      await page.getByRole('button', { name: 'Push configuration' }).click();
      const text = await until(page, 'rejected');
      expect(text).toMatch(/^rejected: version 3 — config has \d+ problems? \(/);
      expect(text).toContain('defaults.retries: ');
      expect(text).toContain('devices[0].id: ');
      expect(text).toContain('the gateway still runs version 2');
      expect(await outcomes(page)).toEqual(['sending', 'pending', 'rejected']);
      await page.locator('#fleet-history li.h-rejected').first().waitFor();
      expect(await page.locator('#fleet-history li').first().textContent()).toMatch(
        / v3 rejected: config has \d+ problems/,
      );
      // the operator's document stays as edited, Chinese and all, to be corrected
      expect(JSON.parse(await doc.inputValue()).devices[0].id).toBe('路灯一号');

      // the table says why, and the "failed" filter keeps it
      const why = page.locator(`#fleet-list tr[data-gateway="${GW}"][data-sync="rejected"] td.why`);
      await why.waitFor();
      const problems = await why.locator('li').allTextContents();
      expect(problems.some((p) => p.startsWith('defaults.retries: '))).toBe(true);
      expect(problems.some((p) => p.startsWith('devices[0].id: '))).toBe(true);
      expect(problems.some((p) => p.startsWith('labels[0]: ') && p.includes(MARKUP))).toBe(true);
      expect(await row(page).locator('td.labels').textContent()).toBe(MARKUP);
      // the Chinese device id (quoted by the validator) is drawn with real glyphs, in the table and the editor
      for (const sel of [`#fleet-list tr[data-gateway="${GW}"] td.why li`, '#fleet-doc']) {
        const r = await undrawn(page, sel, '路灯一号');
        expect(r.bad, `not drawn as glyphs in ${r.font} (install fonts-noto-cjk)`).toEqual([]);
      }
      await page.selectOption('#fleet-filter', 'failed');
      await row(page).waitFor();
      await page.selectOption('#fleet-filter', 'lagging');
      await page.locator('#fleet-list', { hasText: 'No gateway matches this filter.' }).waitFor();
      await page.selectOption('#fleet-filter', 'all');
      if (shots) await page.locator('#fleet').screenshot({ path: join(shots, 'hub-fleet-rejected.png') });

      // nothing applied
      expect(agent?.fleet?.state.appliedVersion).toBe(2);
      expect(JSON.parse(readFileSync(gwConfigFile, 'utf8')).devices[0].id).toBe(LIGHT);
      const g = await fleetOf('alice');
      expect(g).toMatchObject({ sync: 'rejected', desired: { version: 3 }, state: { appliedVersion: 2 } });
      expect(await page.locator('img').count()).toBe(0);
      expect(jsDialogs).toEqual([]);
      await page.close();
    }, 120_000);

    it('an uplink change the broker refuses is rolled back by the gateway within its trial, and the page says why', async () => {
      const page = await openHub();
      await page.click('#fleet-signin');
      await signIn(page, 'alice');
      await row(page).waitFor();
      await page.getByRole('button', { name: `Push a configuration to ${GW}` }).click();
      const doc = page.locator('#fleet-doc');
      await doc.waitFor();
      // the editor starts from the desired document — the refused v3 — to be corrected
      const edited = JSON.parse(await doc.inputValue());
      expect(edited.devices[0].id).toBe('路灯一号');
      edited.devices[0].id = LIGHT;
      edited.defaults.retries = 1;
      edited.labels = ['streetlights'];
      // a broker user that does not exist: the new uplink never gets its birth acknowledged
      edited.delivery.mqtt.username = 'gw-n1-typo';
      await doc.fill(JSON.stringify(edited, null, 2));
      await page.getByRole('button', { name: 'Push document…' }).click();
      expect(await page.locator('#fleet-confirm-text').textContent()).toBe(
        `Push to gateway ${GW} (district north): the edited document (changes defaults.retries, delivery.mqtt.username, devices[0].id, labels[0]) as version 4?`,
      );
      await page.getByRole('button', { name: 'Push configuration' }).click();
      const text = await until(page, 'rolled-back');
      expect(text).toMatch(/^rolled back: version 4 — .+; the gateway still runs version 2$/);
      await page
        .locator(`#fleet-list tr[data-gateway="${GW}"][data-sync="rolled-back"] td.why .reason`)
        .waitFor();
      // the gateway is back on its own uplink, still on version 2, and its data flows
      expect(agent?.fleet?.state.appliedVersion).toBe(2);
      expect(JSON.parse(readFileSync(gwConfigFile, 'utf8')).delivery.mqtt.username).toBe(GW);
      const before = batches;
      await waitFor('data after the rollback', () => (batches > before + 1 ? true : undefined), 30_000);
      await page.close();
    }, 120_000);

    it('an operator of another district does not see the gateway, and his push is refused with nothing published', async () => {
      const before = desired.length;
      const page = await openHub();
      await page.click('#fleet-signin');
      await signIn(page, 'bob');
      await page
        .locator('#fleet-list', { hasText: 'No gateway of your districts is known yet (signed in as bob).' })
        .waitFor();
      expect(await row(page).count()).toBe(0);
      // the page's own signed-in session, POSTing as the view would
      const answer = await page.evaluate(
        ([gw]) =>
          (
            globalThis as unknown as {
              gzOperator: {
                call(m: string, u: string, b: unknown): Promise<{ status: number; body: unknown }>;
              };
            }
          ).gzOperator.call('POST', '/api/fleet/push', {
            target: { district: 'north', gateway: gw },
            set: { 'defaults.pollIntervalMs': 50 },
          }),
        [GW],
      );
      expect(answer.status).toBe(403);
      const shown = await page.evaluate(
        ([a]) =>
          (
            globalThis as unknown as {
              gzFleet: { pushAnswer(s: number, b: unknown, t: unknown): { text: string } };
            }
          ).gzFleet.pushAnswer((a as { status: number }).status, (a as { body: unknown }).body, {
            district: 'north',
            gateway: 'gw-n1',
          }).text,
        [answer],
      );
      expect(shown).toBe('Refused: district north is not one of your districts.');
      // nothing reached the broker: the watcher got no desired config, the retained one is still version 3
      retained.length = 0;
      await watcher.unsubscribeAsync(CONFIG_TOPIC);
      await watcher.subscribeAsync(CONFIG_TOPIC, { qos: 1 });
      await waitFor('the retained desired config', () => (retained.length > 0 ? true : undefined));
      expect(retained.map((d) => d.version)).toEqual([4]);
      expect(desired.length).toBe(before);
      expect(agent?.fleet?.state.appliedVersion).toBe(2);
      expect(pageErrors).toEqual([]);
      await page.close();
    }, 60_000);
  },
);
