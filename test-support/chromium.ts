/**
 * Debian Chromium as a test peer for the page tests: `chromiumPeer()` says whether the binary
 * is there (skip, or fail under CI=true), `launchChromium` starts it headless through
 * playwright-core with its own persistent profile in `profileDir` and `CHROMIUM_ARGS` (no
 * sandbox, no GPU, no background networking or component updates). Stopped by the test:
 * `context.close()` (or `browser.close()`) ends the browser it started.
 */
import { type BrowserContext, chromium } from 'playwright-core';
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
