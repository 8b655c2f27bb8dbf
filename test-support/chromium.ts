/**
 * Debian Chromium as a test peer for the hub page tests: `chromiumPeer()` says whether the
 * binary is there (skip, or fail under CI=true), `launchChromium` starts it headless through
 * playwright-core with its own persistent profile in `profileDir` (no sandbox, no GPU, no
 * background networking or component updates). Stopped by the test: `context.close()` ends
 * the browser it started.
 */
import { type BrowserContext, chromium } from 'playwright-core';
import { peer } from './peers.js';

export const chromiumPeer = () => peer('chromium', 'chromium');

export function launchChromium(
  executablePath: string,
  profileDir: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    viewport,
  });
}
