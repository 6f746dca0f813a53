import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (no browser is downloaded). `.ci/run` installs it
 * and sets PAYSTATE_REQUIRE_BROWSER=1, so there a missing browser fails the run; on a machine
 * without it the browser suites say so and are skipped.
 */
export const CHROMIUM = process.env.PAYSTATE_CHROMIUM ?? '/usr/bin/chromium';
export const browserAvailable = existsSync(CHROMIUM);

if (!browserAvailable && process.env.PAYSTATE_REQUIRE_BROWSER === '1')
  throw new Error(`PAYSTATE_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} (apt-get install chromium)`);

export function launchChromium(): Promise<Browser> {
  // Root in a container has no user namespace for Chromium's sandbox.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}
