/**
 * Debian Chromium as a test peer for the page tests: `chromiumPeer()` says whether the binary
 * is there (skip, or fail under CI=true), `launchChromium` starts it headless through
 * playwright-core with its own persistent profile in `profileDir` and `CHROMIUM_ARGS` (no
 * sandbox, no GPU, no background networking or component updates). Stopped by the test:
 * `context.close()` (or `browser.close()`) ends the browser it started.
 */
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { peer } from './peers.js';

export const chromiumPeer = () => peer('chromium', 'chromium');

/** The flags every test's Chromium runs with (also for `chromium.launch` without a profile). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export function launchChromium(
  executablePath: string,
  profileDir: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
}

/**
 * A new page of `context` whose uncaught script errors are kept in `errors` and whose dialogs
 * (alert() and friends: a script from the data would open one) are dismissed, their messages
 * kept in `dialogs`. Closed with the context, or by the test.
 */
export async function watchedPage(
  context: BrowserContext,
  errors: string[],
  dialogs: string[],
): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return page;
}

/** What the page keeps beyond its memory: [localStorage entries, sessionStorage entries, document.cookie]. */
export function pageStorage(page: Page): Promise<[number, number, string]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as {
      localStorage: { length: number };
      sessionStorage: { length: number };
      document: { cookie: string };
    };
    return [g.localStorage.length, g.sessionStorage.length, g.document.cookie] as [number, number, string];
  });
}
