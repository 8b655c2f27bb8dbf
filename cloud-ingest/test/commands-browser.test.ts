/**
 * Commands from the hub page (issue 15) in headless Chromium, through our broker (users, ACL)
 * and a real ingest (SQLite audit, hub command API with operators). A GATEWAY STAND-IN — an
 * MQTT client logged in as the gateway user, NOT the agent (its executor is built separately) —
 * answers every command on its device cmd topics: `ok` per point, or `rejected` with a reason
 * for the points the test tells it to refuse.
 *
 * As an operator uses the page: the streetlight's writable points have controls (a switch, a
 * number with the profile's range) and the read-only one has none; a cancelled confirmation
 * publishes nothing; a wrong password is asked again; the lamp goes on with `ok`; a rejected
 * write shows its reason; an operator of another district is refused and nothing is published;
 * the credentials are nowhere but the page's memory; markup from a gateway (a unit, a reason)
 * stays text. With GZ_SCREENSHOT_DIR set, the control and the confirmation are saved there
 * (docs/screenshots/hub-command-*.png).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type CommandRequest,
  decodeCommandRequest,
  deviceTopic,
  encodeCommandResult,
  encodeDataBatch,
  encodeDeviceMeta,
  parseTopic,
} from '@ganzhi/device-profiles/contract';
import type { MqttClient } from 'mqtt';
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
const MARKUP_UNIT = '<img src=x onerror=alert(1)>';
const MARKUP_REASON = '<img src=x onerror=alert(2)> dimming locked by the night schedule';

describe.skipIf(!browserPeer.ok)('commands from the hub page in Chromium (gateway stand-in answers)', () => {
  let broker: RealBroker;
  let ingest: Ingest;
  let gw: MqttClient;
  let watcher: MqttClient;
  let context: BrowserContext;
  let dir: string;
  /** every cmd message the broker delivered to a watching admin (what was published at all) */
  const published: string[] = [];
  /** commands the stand-in received */
  const received: CommandRequest[] = [];
  /** point → reason: the stand-in answers `rejected` for these */
  const refuse = new Map<string, string>();
  const pageErrors: string[] = [];
  const jsDialogs: string[] = [];
  const log = capturedLogger('warn');

  async function openHub(): Promise<Page> {
    const page = await watchedPage(context, pageErrors, jsDialogs);
    await page.goto(`${ingest.httpUrl}/hub`);
    await page.locator('#sel-district option[value="north"]').waitFor({ state: 'attached' });
    await page.selectOption('#sel-district', 'north');
    await page.locator('#sel-gateway option[value="gw-n"]').waitFor({ state: 'attached' });
    await page.selectOption('#sel-gateway', 'gw-n');
    await page.locator('#sel-device option[value="light-1"]').waitFor({ state: 'attached' });
    await page.selectOption('#sel-device', 'light-1');
    await page.locator('#controls .ctl[data-point="lamp_on"]').waitFor();
    // the current value has arrived (the confirmation's "old")
    await page.locator('#controls .ctl[data-point="lamp_on"] .current[data-value="false"]').waitFor();
    return page;
  }

  const outcome = (page: Page, point: string) =>
    page.locator(`#controls .ctl[data-point="${point}"] .outcome`);
  const until = async (page: Page, point: string, state: string) => {
    try {
      await page
        .locator(`#controls .ctl[data-point="${point}"] .outcome[data-outcome="${state}"]`)
        .waitFor({ timeout: 20_000 });
    } catch {
      throw new Error(
        `${point}: expected ${state}, the page says: ${await outcome(page, point).textContent()}`,
      );
    }
    return outcome(page, point).textContent();
  };

  async function signIn(page: Page, name: string, password: string) {
    const dlg = page.locator('#dlg-login');
    await dlg.waitFor();
    await page.fill('#login-name', name);
    await page.fill('#login-pass', password);
    await page.keyboard.press('Enter');
  }

  beforeAll(async () => {
    dir = tempDir('ganzhi-cmd-page-');
    // the hub's MQTT user as deployed: an operator that may act for the persons it authenticated
    ({ broker, ingest } = await startHubStack({
      hubDistricts: ['north', 'south'],
      gateways: { north: ['gw-n'] },
      users: { watch: { role: 'admin' } },
      dir,
      clientId: 'ingest',
      operators: { alice: ['north'], bob: ['south'] },
      logger: log.logger,
    }));
    watcher = await loginAs(broker.url, 'watch');
    watcher.on('message', (topic) => {
      if (topic.endsWith('/cmd')) published.push(topic);
    });
    await watcher.subscribeAsync('gz/v1/+/+/+/cmd', { qos: 1 });

    // the gateway stand-in
    gw = await loginAs(broker.url, 'gw-n');
    gw.on('message', (topic, payload) => {
      const t = parseTopic(topic);
      if (t?.scope !== 'device' || t.kind !== 'cmd') return;
      const d = decodeCommandRequest(payload);
      if (!d.ok) return;
      received.push(d.value);
      const now = Date.now();
      void gw.publishAsync(
        deviceTopic('north', 'gw-n', t.device, 'result'),
        encodeCommandResult({
          v: 1,
          id: d.value.id,
          device: t.device,
          received: now,
          executed: now,
          done: now,
          outcomes: d.value.writes.map((w) =>
            refuse.has(w.point)
              ? {
                  point: w.point,
                  outcome: 'rejected' as const,
                  requested: w.value,
                  reason: refuse.get(w.point),
                }
              : { point: w.point, outcome: 'ok' as const, requested: w.value, readback: w.value },
          ),
        }),
        { qos: 1 },
      );
    });
    await gw.subscribeAsync('gz/v1/north/gw-n/+/cmd', { qos: 1 });
    const meta = (profile: string, unit: string) =>
      encodeDeviceMeta({
        v: 1,
        profile,
        profileVersion: '1.0.0',
        model: 'SL-1',
        manufacturer: 'Test',
        measurement: 'streetlight',
        points: [
          { name: 'lamp_on', type: 'boolean', unit: '1', access: 'read-write' },
          { name: 'dim_level', type: 'integer', unit, access: 'read-write' },
          { name: 'lamp_power', type: 'float', unit: 'W', access: 'read' },
        ],
      });
    await gw.publishAsync(
      deviceTopic('north', 'gw-n', 'light-1', 'meta'),
      meta('streetlight-controller', '%'),
      {
        qos: 1,
        retain: true,
      },
    );
    // a profile the hub does not have (a gateway's own profileDirs): access from the meta, unit as sent
    await gw.publishAsync(deviceTopic('north', 'gw-n', 'light-x', 'meta'), meta('site-lamp', MARKUP_UNIT), {
      qos: 1,
      retain: true,
    });
    const ts = Date.now();
    await gw.publishAsync(
      deviceTopic('north', 'gw-n', 'light-1', 'data'),
      encodeDataBatch({
        v: 1,
        district: 'north',
        gateway: 'gw-n',
        device: 'light-1',
        model: 'streetlight-controller',
        measurement: 'streetlight',
        stream: 'sn',
        seq: 1,
        sent: ts,
        readings: [
          { point: 'lamp_on', value: false, ts, quality: 'good' },
          { point: 'dim_level', value: 100, ts, quality: 'good' },
          { point: 'lamp_power', value: 0, ts, quality: 'good' },
        ],
      }),
      { qos: 1 },
    );
    await waitFor('meta and data seen', async () => {
      const r = await ingest.http.inject({ url: '/api/hub/devices?district=north&gateway=gw-n' });
      const devs = (r.json() as { devices: { device: string; lastSeen: number | null }[] }).devices;
      return devs.length === 2 && devs.some((d) => d.device === 'light-1' && d.lastSeen) ? true : undefined;
    });
    context = await launchChromium(browserPeer.path, tempDir('ganzhi-cmd-page-chromium-'), {
      width: 1280,
      height: 1000,
    });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await gw?.endAsync();
    await watcher?.endAsync();
    await ingest?.close();
    await broker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows a switch and a ranged number for the writable points, nothing for the read-only one', async () => {
    const page = await openHub();
    const lamp = page.locator('#controls .ctl[data-point="lamp_on"]');
    expect(await lamp.getAttribute('data-kind')).toBe('switch');
    // labelled: the accessible name of the switch is the point's name
    await page.getByRole('switch', { name: 'lamp_on' }).waitFor();
    const dim = page.getByRole('spinbutton', { name: 'dim_level (%)' });
    expect(await dim.getAttribute('min')).toBe('0');
    expect(await dim.getAttribute('max')).toBe('100');
    expect(await page.locator('#controls .ctl[data-point="dim_level"] .range').textContent()).toBe(
      'range 0…100 %',
    );
    expect(await page.locator('#controls .ctl[data-point="lamp_power"]').count()).toBe(0);
    await page.close();
  });

  it('a cancelled confirmation publishes nothing; a wrong password is asked again; the lamp goes on with ok', async () => {
    const page = await openHub();
    if (shots) {
      mkdirSync(shots, { recursive: true });
      await page.locator('#controls').screenshot({ path: join(shots, 'hub-command-control.png') });
    }
    // keyboard only: focus the switch and press Space
    await page.getByRole('switch', { name: 'lamp_on' }).focus();
    await page.keyboard.press('Space');
    const confirm = page.locator('#dlg-confirm');
    await confirm.waitFor();
    expect(await page.locator('#confirm-text').textContent()).toBe(
      'Set lamp_on of device light-1 (gateway gw-n, district north): off → on?',
    );
    // the switch shows the device, not the wish
    expect(await page.getByRole('switch', { name: 'lamp_on' }).isChecked()).toBe(false);
    if (shots) await page.screenshot({ path: join(shots, 'hub-command-confirm.png') });
    await page.keyboard.press('Escape');
    expect(await until(page, 'lamp_on', 'cancelled')).toBe('cancelled: nothing was sent');
    expect(await page.locator('#dlg-login').isVisible()).toBe(false);

    await page.getByRole('switch', { name: 'lamp_on' }).click();
    await page.getByRole('button', { name: 'Send command' }).click();
    await signIn(page, 'alice', 'not-her-password');
    await page.locator('#login-msg', { hasText: 'not accepted' }).waitFor();
    expect(await page.locator('#dlg-login').isVisible()).toBe(true);
    await signIn(page, 'alice', 'alice-secret');
    expect(await until(page, 'lamp_on', 'ok')).toBe('ok: lamp_on is on');
    expect(await page.getByRole('switch', { name: 'lamp_on' }).isChecked()).toBe(true);

    // exactly one command went out — the cancelled one and the refused sign-in sent nothing
    await waitFor('the stand-in has the command', () => (received.length === 1 ? true : undefined));
    expect(received[0]).toMatchObject({ writes: [{ point: 'lamp_on', value: true }], onBehalfOf: 'alice' });
    expect(published).toEqual(['gz/v1/north/gw-n/light-1/cmd']);
    // the audit has it, with the outcome
    const audit = ingest.commands?.byId(received[0]!.id) ?? [];
    expect(audit[0]?.outcomes.map((o) => o.outcome)).toEqual(['ok']);
    // the credentials are in the page's memory only
    expect(await pageStorage(page)).toEqual([0, 0, '']);
    expect((await context.cookies()).length).toBe(0);
    // nor in the ingest's log
    expect(JSON.stringify(log.lines)).not.toContain('alice-secret');

    // an out-of-range number is refused on the page: no confirmation, nothing sent
    await page.getByRole('spinbutton', { name: 'dim_level (%)' }).fill('150');
    await page.getByRole('button', { name: 'Set dim_level' }).click();
    expect(await until(page, 'dim_level', 'invalid')).toBe('dim_level: 150 is outside 0…100 %');
    expect(await page.locator('#dlg-confirm').isVisible()).toBe(false);

    // a rejected outcome shows its reason — as text, markup and all; no second sign-in
    refuse.set('dim_level', MARKUP_REASON);
    await page.getByRole('spinbutton', { name: 'dim_level (%)' }).fill('60');
    await page.getByRole('spinbutton', { name: 'dim_level (%)' }).press('Enter');
    expect(await page.locator('#confirm-text').textContent()).toBe(
      'Set dim_level of device light-1 (gateway gw-n, district north): 100 % → 60 %?',
    );
    await page.getByRole('button', { name: 'Send command' }).click();
    expect(await until(page, 'dim_level', 'rejected')).toBe(`rejected: ${MARKUP_REASON}`);
    expect(await page.locator('#dlg-login').isVisible()).toBe(false);
    expect(await page.locator('#controls img').count()).toBe(0);
    expect(received.length).toBe(2);
    await page.close();
  }, 90_000);

  it('an operator of another district is refused, and nothing is published', async () => {
    refuse.clear();
    const before = published.length;
    const page = await openHub();
    await page.getByRole('switch', { name: 'lamp_on' }).click();
    await page.getByRole('button', { name: 'Send command' }).click();
    await signIn(page, 'bob', 'bob-secret');
    expect(await until(page, 'lamp_on', 'forbidden')).toBe(
      'Refused: district north is not one of your districts.',
    );
    // a command alice sends after the refusal is the only one that reaches the broker
    await page.close();
    const page2 = await openHub();
    await page2.getByRole('spinbutton', { name: 'dim_level (%)' }).fill('40');
    await page2.getByRole('button', { name: 'Set dim_level' }).click();
    await page2.getByRole('button', { name: 'Send command' }).click();
    await signIn(page2, 'alice', 'alice-secret');
    await until(page2, 'dim_level', 'ok');
    expect(published.length).toBe(before + 1);
    expect(received.at(-1)).toMatchObject({
      writes: [{ point: 'dim_level', value: 40 }],
      onBehalfOf: 'alice',
    });
    await page2.close();
  }, 60_000);

  it('keeps markup from a gateway as text (a unit of a profile the hub does not know)', async () => {
    const page = await context.newPage();
    page.on('dialog', (d) => {
      jsDialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${ingest.httpUrl}/hub`);
    await page.locator('#sel-district option[value="north"]').waitFor({ state: 'attached' });
    await page.selectOption('#sel-district', 'north');
    await page.locator('#sel-device option[value="light-x"]').waitFor({ state: 'attached' });
    await page.selectOption('#sel-device', 'light-x');
    await page.locator('#controls[data-device="light-x"]').waitFor();
    const label = page.locator('#controls .ctl[data-point="dim_level"] label');
    await label.waitFor();
    expect(await label.textContent()).toContain('<img');
    expect(await page.locator('#controls .ctl[data-point="dim_level"] .range').textContent()).toBe(
      'range: the gateway checks',
    );
    await page.getByRole('button', { name: 'Set dim_level' }).focus();
    await page.locator('#controls .ctl[data-point="dim_level"] input').fill('5');
    await page.getByRole('button', { name: 'Set dim_level' }).click();
    expect(await page.locator('#confirm-text').textContent()).toContain('<img');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('img').count()).toBe(0);
    expect(jsDialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
