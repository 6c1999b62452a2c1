/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), for the console's browser
 * tests. Without /usr/bin/chromium the suite skips with the reason; in CI (CI or
 * WEFT_REQUIRE_ROOT_SUITES=1) it fails instead, so a missing browser can never pass silently.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { describeUnless } from './root.ts';

export const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';

/** Where browser tests put their screenshots (gitignored; CI keeps it as an artefact). */
export const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');

export function describeBrowser(name: string, fn: () => void): void {
  const why = existsSync(CHROMIUM) ? null : `${CHROMIUM} not installed (apt-get install chromium)`;
  describeUnless(name, why, { mustRun: process.env.WEFT_REQUIRE_ROOT_SUITES === '1' || !!process.env.CI, how: 'CI=1 or WEFT_REQUIRE_ROOT_SUITES=1' }, fn);
}

/**
 * Headless Chromium (playwright gives it a fresh temporary profile), and without the background connections it would otherwise
 * try (update checks, sync), which a machine without Internet refuses many at a time.
 */
export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}
