/**
 * Headless Chromium for tests that drive a real browser (a web UI's flow, a
 * login page). The machine's own Chromium is used, never one downloaded by
 * Playwright: CI installs it with apt (`.ci/run`). Missing, it fails the
 * test with what to install instead of skipping.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const LAUNCH_TIMEOUT_MS = 20_000;

export class ChromiumMissingError extends Error {
  constructor() {
    super(`Chromium is not installed at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (.ci/run does this in CI)`);
  }
}

/** Launches headless Chromium; close it with `browser.close()` in `afterAll`. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new ChromiumMissingError();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: LAUNCH_TIMEOUT_MS,
    // No sandbox: CI runs as root in a container. The rest keeps the browser
    // from calling home, so a test's traffic is only its own.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
