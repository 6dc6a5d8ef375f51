/**
 * Sage's `oauth` mode: logins through an upstream OpenID provider, here a
 * second Switchboard on another port whose authorization server knows this
 * gateway as a confidential client. A browser (cookies shared across the two
 * ports, as a browser shares them on one host) starts at
 * /api/auth/upstream/login, signs in on the upstream's pages, comes back to
 * the callback and lands on `next` logged in; the state, the browser binding
 * and PKCE are checked, and a first login creates or links the user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import type { RawConfig, TestGateway } from '../support/gateway.js';
import { startTestGateway } from '../support/gateway.js';
import { BrowserSession, signIn } from '../oauth/browser-session.js';
import { ALICE } from '../oauth/oauth-clients.js';
import { asDemoUser, SageClient, startSageGateway } from './client.js';

const CLIENT = { id: 'sage-downstream', secret: 'sage-downstream-secret-0123456789' };
const CAROL = { username: 'carol', password: 'carol-password' };

let upstream: TestGateway;
let gw: TestGateway;

beforeAll(async () => {
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/api/auth/upstream/callback/corp`;
  upstream = await startTestGateway({
    configure: (raw: RawConfig) => {
      raw.bootstrap.oauth_clients = [{ client_id: CLIENT.id, client_secret: CLIENT.secret, redirect_uris: [callback], grant_types: ['authorization_code'] }];
      raw.bootstrap.users.push({ id: 'carol-up', tenant: 'demo', username: 'carol', email: 'carol@corp.example', password: CAROL.password });
    },
  });
  gw = await startSageGateway({
    configure: (raw) => {
      raw.server.port = port;
      raw.dialects.sage.auth_mode = 'oauth';
      raw.dialects.sage.upstream_providers = [
        { id: 'corp', name: 'Corp SSO', issuer: upstream.baseUrl, client_id: CLIENT.id, client_secret: CLIENT.secret, link_by_email: 'any' },
        { id: 'down', issuer: 'http://127.0.0.1:1', client_id: 'nobody' },
      ];
    },
  });
});
afterAll(async () => {
  await gw?.stop();
  await upstream?.stop();
});

/** Starts a login at the gateway and signs in at the upstream: the callback the upstream sends the browser to. */
async function toCallback(browser: BrowserSession, who: { username: string; password: string }, start = '/api/auth/upstream/login?next=%2Fchat', consent: 'allow' | 'deny' = 'allow') {
  const begun = await browser.get(`${gw.baseUrl}${start}`);
  expect(begun.status).toBe(302);
  expect(begun.headers.get('cache-control')).toBe('no-store');
  const authorize = new URL(begun.location!);
  expect(authorize.origin).toBe(upstream.baseUrl);
  return { authorize, ...(await signIn(browser, authorize.href, who, consent)) };
}

/** The whole login: the browser ends where `next` said, logged in by its session cookie. */
async function logIn(who: { username: string; password: string }, browser = new BrowserSession(upstream.baseUrl)) {
  const { redirect } = await toCallback(browser, who);
  const back = await browser.get(redirect.href);
  expect(back.status, back.body).toBe(302);
  expect(back.location).toBe(`${gw.baseUrl}/chat`);
  const session = await browser.get(`${gw.baseUrl}/api/auth/session`);
  expect(session.status).toBe(200);
  return { browser, user: (JSON.parse(session.body) as { data: { user: { userid: string; username: string; email: string } } }).data.user };
}

describe('the upstream login', () => {
  it('is what the login page offers, and password login is off', async () => {
    const anon = new SageClient(gw.baseUrl);
    expect((await anon.get('/api/auth/providers')).body.data.auth_providers).toEqual([
      { id: 'corp', type: 'oidc', name: 'Corp SSO' },
      { id: 'down', type: 'oidc', name: 'down' },
    ]);
    const login = await anon.post('/api/auth/login', { username_or_email: 'alice', password: 'alice-password' });
    expect(login.status).toBe(400);
    expect(login.body.message).toBe('当前服务未启用本地账号密码登录');
  });

  it('sends the browser to the provider with PKCE (S256), state and nonce', async () => {
    const browser = new BrowserSession(upstream.baseUrl);
    const begun = await browser.get(`${gw.baseUrl}/api/auth/upstream/login/corp`);
    const authorize = new URL(begun.location!);
    expect(authorize.pathname).toBe('/oauth2/authorize');
    const q = authorize.searchParams;
    expect(q.get('client_id')).toBe(CLIENT.id);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('redirect_uri')).toBe(`${gw.baseUrl}/api/auth/upstream/callback/corp`);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('nonce')).toBeTruthy();
    expect(browser.cookieNames()).toContain('sage_upstream_state');
  });

  it('creates the user on its first login, and finds the same one on the next', async () => {
    const first = await logIn(CAROL);
    expect(first.user).toMatchObject({ username: 'carol', email: 'carol@corp.example' });
    const again = await logIn(CAROL);
    expect(again.user.userid).toBe(first.user.userid);
    // A user like any other: an admin sees them in the user list.
    const listed = await asDemoUser(gw, 'alice').get('/api/user/list?page=1&page_size=100');
    const carols = (listed.body.data.items as { username: string }[]).filter((u) => u.username.startsWith('carol'));
    expect(carols).toHaveLength(1);
  });

  it('links the upstream account to the existing user of the same email', async () => {
    const { user } = await logIn(ALICE);
    expect(user).toMatchObject({ userid: 'alice', username: 'alice', email: 'alice@example.com' });
  });

  it('the login is a login: its cookie works on every Sage route and logout ends it', async () => {
    const { browser } = await logIn(CAROL);
    expect((await browser.get(`${gw.baseUrl}/api/conversations`)).status).toBe(200);
    const out = await browser.send(`${gw.baseUrl}/api/auth/logout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(out.status).toBe(200);
    expect((await browser.get(`${gw.baseUrl}/api/auth/session`)).status).toBe(401);
  });

  it('refuses a callback in another browser, a replayed one and a forged state', async () => {
    const browser = new BrowserSession(upstream.baseUrl);
    const { redirect } = await toCallback(browser, CAROL);
    // Another browser (no state cookie): a callback link made for someone else (login CSRF).
    const elsewhere = await new BrowserSession(gw.baseUrl).get(redirect.href);
    expect(elsewhere.status).toBe(400);
    expect(JSON.parse(elsewhere.body)).toMatchObject({ success: false, code: 400, message: '登录状态无效或已过期，请重新登录' });

    const again = new BrowserSession(upstream.baseUrl);
    const second = await toCallback(again, CAROL);
    expect((await again.get(second.redirect.href)).status).toBe(302);
    // The state is spent (and its cookie cleared): the same callback once more is refused.
    expect((await again.get(second.redirect.href)).status).toBe(400);

    const forger = new BrowserSession(upstream.baseUrl);
    const third = await toCallback(forger, CAROL);
    const forged = new URL(third.redirect);
    forged.searchParams.set('state', 'A'.repeat(43));
    expect((await forger.get(forged.href)).status).toBe(400);
  });

  it('brings a user who said no back to the app with the reason', async () => {
    const browser = new BrowserSession(upstream.baseUrl);
    // A new account asks for consent; alice consented above, so bob is asked.
    const { redirect, pages } = await toCallback(browser, { username: 'bob', password: 'bob-password' }, undefined, 'deny');
    expect(pages).toContain('consent');
    const back = await browser.get(redirect.href);
    expect(back.status).toBe(302);
    expect(back.location).toBe(`${gw.baseUrl}/chat?auth_error=access_denied`);
    expect((await browser.get(`${gw.baseUrl}/api/auth/session`)).status).toBe(401);
  });

  it('refuses a next on another site, an unknown provider, and says so when the provider is down', async () => {
    const anon = new SageClient(gw.baseUrl);
    const offsite = await anon.get('/api/auth/upstream/login?next=https://evil.example/', { headers: { 'X-Sage-Locale': 'en' } });
    expect(offsite).toMatchObject({ status: 400, body: { success: false, message: 'next and redirect_uri must be on this site' } });
    expect((await anon.get('/api/auth/upstream/login?next=//evil.example/')).status).toBe(400);
    const unknown = await anon.get('/api/auth/upstream/login/github', { headers: { 'X-Sage-Locale': 'en' } });
    expect(unknown).toMatchObject({ status: 404, body: { message: 'Auth provider not found' } });
    const down = await anon.get('/api/auth/upstream/login/down', { headers: { 'X-Sage-Locale': 'en' } });
    expect(down).toMatchObject({ status: 503, body: { success: false, code: 503, message: 'The upstream auth provider is unavailable' } });
  });
});
