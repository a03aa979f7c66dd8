// Debian's Chromium driven by playwright-core (which downloads no browser of its own), headless, and
// the screenshots each step takes.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ensureChromium } from '../../../tools/ui/chromium';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    // As root (CI) Chromium refuses to start with its sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/**
 * Where screenshots go: docs/screenshots (what the README shows) only with
 * `npm run test:ui -- --update-screenshots`; otherwise UI_SCREENSHOT_DIR, else a folder in the temp dir.
 */
export const screenshotDir = (() => {
  let dir: string | undefined;
  return () => {
    if (!dir) {
      dir = process.env.UI_UPDATE_SCREENSHOTS
        ? path.resolve(__dirname, '../../../docs/screenshots')
        : (process.env.UI_SCREENSHOT_DIR ?? path.join(tmpdir(), 'troupe-ui-screenshots'));
      mkdirSync(dir, { recursive: true });
    }
    return dir;
  };
})();

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(screenshotDir(), `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
