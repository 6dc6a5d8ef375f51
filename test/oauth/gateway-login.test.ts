/**
 * One browser login for the gateway: a browser logged in to the gateway's
 * web login (Sage's `sage_session` cookie) is not asked for its password on
 * the authorization server's login page, unless the client asks for a fresh
 * login; and logging out of the web login signs the browser out of the
 * authorization server too.
 */
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { BrowserSession, signIn } from './browser-session.js';
import { ALICE, authorizationRequest, codeFlow, useOAuthGateway, WEB } from './oauth-clients.js';

const server = useOAuthGateway();

describe('a browser logged in to the gateway', () => {
  /** A browser with a Sage web login (its `sage_session` cookie) on this gateway. */
  async function loggedInBrowser(who = ALICE): Promise<BrowserSession> {
    const browser = new BrowserSession(server.gw.baseUrl);
    const login = await browser.send(`${server.gw.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username_or_email: who.username, password: who.password }),
    });
    expect(login.status).toBe(200);
    return browser;
  }

  it('is not asked for the password again: the login page signs it in as that user', async () => {
    const browser = await loggedInBrowser({ username: 'bob', password: 'bob-password' });
    const { url, verifier, state } = await authorizationRequest(server.web, WEB.redirect, 'openid');
    // The credentials given here are never asked for: no login page is shown.
    const { redirect, pages } = await signIn(browser, url.href, { username: 'nobody', password: 'wrong' });
    expect(pages).toEqual(['consent']);
    const tokens = await oidc.authorizationCodeGrant(server.web, redirect, { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()?.sub).toBe('demo/bob');
  });

  it('is asked anyway when the client wants a fresh login (prompt=login)', async () => {
    const browser = await loggedInBrowser();
    const { url } = await authorizationRequest(server.web, WEB.redirect, 'openid');
    url.searchParams.set('prompt', 'login');
    const { pages } = await signIn(browser, url.href, ALICE);
    expect(pages[0]).toBe('login');
  });

  /** Sage's logout, as its web UI sends it (the browser's cookies, no token). */
  async function sageLogout(browser: BrowserSession): Promise<void> {
    const res = await browser.send(`${server.gw.baseUrl}/api/auth/logout`, { method: 'POST' });
    expect(res.status).toBe(200);
  }

  it('logging out of the web login ends the authorization server session too', async () => {
    const browser = await loggedInBrowser();
    const { tokens } = await codeFlow(server.web, WEB.redirect, browser, ALICE, 'openid');
    const again = await authorizationRequest(server.web, WEB.redirect, 'openid');
    expect((await signIn(browser, again.url.href, ALICE)).pages).toEqual([]);

    await sageLogout(browser);
    expect(browser.cookieNames()).not.toContain('sage_session');
    // The next authorization request asks for the password again.
    const after = await authorizationRequest(server.web, WEB.redirect, 'openid');
    expect((await signIn(browser, after.url.href, ALICE)).pages).toEqual(['login']);
    // The access token issued within the ended session ended with it.
    const info = await fetch(`${server.gw.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(401);
  });
});
