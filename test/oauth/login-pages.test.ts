/**
 * The login and consent pages as a browser gets them: readable on a phone,
 * never cached, a wrong password shown on the form, the login throttle of
 * the dialects, forms refused without their CSRF token or from another
 * browser, a denied consent sent back as access_denied, and a stale page
 * explained rather than a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { BrowserSession, formsOf, signIn, type Hop } from './browser-session.js';
import { ALICE, authorizationRequest, useOAuthGateway, WEB } from './oauth-clients.js';

const server = useOAuthGateway({ configure: (raw) => void (raw.auth = { ...raw.auth, login_failures_per_account: 3 }) });

/** A new browser, sent by the web app to the authorization endpoint and on to the login page. */
async function atLoginPage(): Promise<{ browser: BrowserSession; page: Hop }> {
  const browser = new BrowserSession(server.gw.baseUrl);
  const { url } = await authorizationRequest(server.web, WEB.redirect);
  const first = await browser.get(url.href);
  expect(first.status).toBe(303);
  expect(new URL(first.location!).pathname).toMatch(/^\/oauth2\/interaction\/[^/]+$/);
  const page = await browser.get(first.location!);
  expect(page.status).toBe(200);
  return { browser, page };
}

const loginForm = (page: Hop) => formsOf(page.html!, page.url).find((f) => f.action.endsWith('/login'))!;

describe('the login page', () => {
  it('is a small HTML form for a phone, never cached, with a CSRF token', async () => {
    const { page } = await atLoginPage();
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page.html).toContain('web-app');
    expect(loginForm(page).fields.csrf).toMatch(/^[\w-]{43}$/);
  });

  it('shows a wrong password as an error on the form, keeping the username, then lets the right one in', async () => {
    const { browser, page } = await atLoginPage();
    const form = loginForm(page);
    const wrong = await browser.post(form.action, { ...form.fields, username: 'alice', password: 'not-her-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('role="alert">Wrong username or password.</p>');
    expect(wrong.html).toContain('value="alice"');
    const retry = loginForm(wrong);
    const right = await browser.post(retry.action, { ...retry.fields, username: 'alice', password: 'alice-password' });
    expect(right.status).toBe(303);
    expect(new URL(right.location!).pathname).toMatch(/^\/oauth2\/authorize\/[^/]+$/);
  });

  it('takes an email in place of the username', async () => {
    const { browser, page } = await atLoginPage();
    const signedIn = await browser.post(loginForm(page).action, { ...loginForm(page).fields, username: 'alice@example.com', password: 'alice-password' });
    expect(signedIn.status).toBe(303);
    let hop = await browser.get(signedIn.location!);
    while (hop.location) hop = await browser.get(hop.location);
    expect(hop.html).toContain('Allow access?');
  });

  it('asks for both fields', async () => {
    const { browser, page } = await atLoginPage();
    const form = loginForm(page);
    const empty = await browser.post(form.action, { ...form.fields, username: 'alice', password: '' });
    expect(empty.status).toBe(400);
    expect(empty.html).toContain('Enter your username (or email) and password.');
  });

  it('refuses a form without its CSRF token, or with one shown to another browser', async () => {
    const { browser, page } = await atLoginPage();
    const form = loginForm(page);
    const bare = await browser.post(form.action, { username: 'alice', password: 'alice-password' });
    expect(bare.status).toBe(403);
    expect(bare.html).toContain('no longer valid');
    const other = await atLoginPage();
    const foreign = await browser.post(form.action, { csrf: loginForm(other.page).fields.csrf!, username: 'alice', password: 'alice-password' });
    expect(foreign.status).toBe(403);
  });

  it('explains a page opened without its interaction (another browser, or expired)', async () => {
    const { page } = await atLoginPage();
    const stranger = new BrowserSession(server.gw.baseUrl);
    const res = await stranger.get(page.url);
    expect(res.status).toBe(400);
    expect(res.html).toContain('has expired or was opened in another browser');
  });

  it("throttles failed logins as the dialects do, per account", async () => {
    const { browser, page } = await atLoginPage();
    let hop = page;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const form = loginForm(hop);
      hop = await browser.post(form.action, { ...form.fields, username: 'bob', password: 'wrong' });
      statuses.push(hop.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(hop.html).toContain('Too many failed sign-in attempts');
  });
});

describe('the consent page', () => {
  it('lists the scopes asked for; denying sends access_denied back to the client', async () => {
    const browser = new BrowserSession(server.gw.baseUrl);
    const { url, state } = await authorizationRequest(server.web, WEB.redirect, 'openid email');
    const { redirect, pages } = await signIn(browser, url.href, ALICE, 'deny');
    expect(pages).toEqual(['login', 'consent']);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(WEB.redirect);
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe(state);
    expect(redirect.searchParams.get('code')).toBeNull();
  });

  it('shows what is asked', async () => {
    const browser = new BrowserSession(server.gw.baseUrl);
    const { url } = await authorizationRequest(server.web, WEB.redirect, 'openid email profile');
    let hop = await browser.get(url.href);
    hop = await browser.get(hop.location!);
    const form = loginForm(hop);
    hop = await browser.post(form.action, { ...form.fields, ...ALICE });
    hop = await browser.get(hop.location!);
    hop = await browser.get(hop.location!);
    expect(hop.status).toBe(200);
    expect(hop.html).toContain('Allow access?');
    expect(hop.html).toContain('<li><strong>email</strong>: your email address</li>');
    expect(hop.html).toContain('<li><strong>profile</strong>: your username and tenant</li>');
  });
});
