/**
 * The authorization server's login and consent pages in headless Chromium:
 * what a user of a relying party sees and clicks. The relying party's
 * redirect (https://app.example, not reachable) is answered inside the
 * browser, so the test reads the code where the client would; openid-client
 * then redeems it like the client would.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { ALICE, WEB, authorizationRequest, useOAuthGateway } from './oauth-clients.js';

const server = useOAuthGateway();
/** Another demo user, who has not allowed anything yet. */
const BOB = { username: 'bob', password: 'bob-password' };
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

/** A fresh browser profile whose visits to the client's redirect URI land on a small page of the "client". */
async function freshPage(viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page; arrivals: URL[] }> {
  const context = await browser.newContext(viewport ? { viewport, isMobile: true, hasTouch: true } : {});
  context.setDefaultTimeout(10_000);
  const arrivals: URL[] = [];
  await context.route(`${new URL(WEB.redirect).origin}/**`, (route) => {
    arrivals.push(new URL(route.request().url()));
    return route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>Client</title><p>back at the client</p>' });
  });
  return { context, page: await context.newPage(), arrivals };
}

/** The one visit the browser made to the client's redirect URI. */
function onlyArrival(arrivals: URL[]): URL {
  expect(arrivals).toHaveLength(1);
  return arrivals[0]!;
}

async function signIn(page: Page, username: string, password: string) {
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  const [response] = await Promise.all([page.waitForEvent('response', (r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.waitForLoadState();
  return response;
}

// The tests run in order: the second relies on the consent the first gave.
describe('login and consent in a browser', () => {
  it('shows the sign-in form, refuses a wrong password, then asks for consent and lands at the redirect with a code', async () => {
    const request = await authorizationRequest(server.web, WEB.redirect);
    const { context, page, arrivals } = await freshPage();
    try {
      const first = await page.goto(request.url.href);
      expect(first?.status()).toBe(200);
      expect(await page.title()).toBe('Sign in');
      await expect.poll(() => page.getByText(`to continue to ${WEB.id}`).isVisible()).toBe(true);
      expect(await page.locator('meta[name="viewport"]').getAttribute('content')).toContain('width=device-width');

      const wrong = await signIn(page, ALICE.username, 'not-the-password');
      expect(wrong.status()).toBe(401);
      expect(await page.getByRole('alert').textContent()).toBe('Wrong username or password.');
      // The name typed stays in the form; the password does not.
      expect(await page.getByLabel('Username or email').inputValue()).toBe(ALICE.username);
      expect(await page.getByLabel('Password').inputValue()).toBe('');

      await signIn(page, ALICE.username, ALICE.password);
      expect(await page.title()).toBe('Allow access?');
      // openid is how the client signs the user in, not something to allow on its own.
      expect(await page.locator('li').allTextContents()).toEqual(['profile: your username and tenant', 'email: your email address']);

      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((url) => url.origin === new URL(WEB.redirect).origin);
      expect(await page.textContent('p')).toBe('back at the client');
      const arrival = onlyArrival(arrivals);
      expect(`${arrival.origin}${arrival.pathname}`).toBe(WEB.redirect);
      expect(arrival.searchParams.get('state')).toBe(request.state);
      expect(arrival.searchParams.get('code')).toBeTruthy();
      expect(arrival.searchParams.get('error')).toBeNull();

      const tokens = await oidc.authorizationCodeGrant(server.web, arrival, { pkceCodeVerifier: request.verifier, expectedState: request.state });
      expect(tokens.claims()?.sub).toBe('demo/alice');
      expect(tokens.access_token).toBeTruthy();
    } finally {
      await context.close();
    }
  });

  it('remembers the consent: signing in again (by email, in a new browser) goes straight back to the client', async () => {
    const request = await authorizationRequest(server.web, WEB.redirect);
    const { context, page, arrivals } = await freshPage();
    try {
      await page.goto(request.url.href);
      await signIn(page, 'alice@example.com', ALICE.password);
      await page.waitForURL((url) => url.origin === new URL(WEB.redirect).origin);
      const arrival = onlyArrival(arrivals);
      expect(arrival.searchParams.get('code')).toBeTruthy();
      const tokens = await oidc.authorizationCodeGrant(server.web, arrival, { pkceCodeVerifier: request.verifier, expectedState: request.state });
      expect(tokens.claims()?.sub).toBe('demo/alice');
    } finally {
      await context.close();
    }
  });

  it('sends a user who denies back to the client with access_denied and no code', async () => {
    const request = await authorizationRequest(server.web, WEB.redirect, 'openid profile');
    const { context, page, arrivals } = await freshPage();
    try {
      await page.goto(request.url.href);
      await signIn(page, BOB.username, BOB.password);
      await page.getByRole('button', { name: 'Deny' }).click();
      await page.waitForURL((url) => url.origin === new URL(WEB.redirect).origin);
      const arrival = onlyArrival(arrivals);
      expect(arrival.searchParams.get('error')).toBe('access_denied');
      expect(arrival.searchParams.get('state')).toBe(request.state);
      expect(arrival.searchParams.get('code')).toBeNull();
    } finally {
      await context.close();
    }
  });

  it('fits a phone screen: no sideways scrolling, inputs as wide as the card', async () => {
    const request = await authorizationRequest(server.web, WEB.redirect);
    const { context, page } = await freshPage({ width: 360, height: 640 });
    try {
      await page.goto(request.url.href);
      const layout = (await page.evaluate(`(() => {
        const input = document.getElementById('username').getBoundingClientRect();
        return { scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth, inputLeft: input.left, inputRight: input.right };
      })()`)) as { scrollWidth: number; innerWidth: number; inputLeft: number; inputRight: number };
      expect(layout.innerWidth).toBe(360);
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
      expect(layout.inputLeft).toBeGreaterThanOrEqual(0);
      expect(layout.inputRight).toBeLessThanOrEqual(layout.innerWidth);
      // Text is at a readable size, not shrunk to fit a desktop layout.
      const fontSize = await page.evaluate(`parseFloat(getComputedStyle(document.getElementById('username')).fontSize)`);
      expect(fontSize).toBeGreaterThanOrEqual(16);
    } finally {
      await context.close();
    }
  });
});
