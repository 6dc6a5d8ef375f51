/**
 * RP-initiated logout at the end-session endpoint: a confirmation page of
 * the gateway's own look, a form that needs its token, the session's
 * grants revoked, the browser's gateway login (Sage's cookie) ended too, and
 * a browser that has to log in again.
 */
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { BrowserSession, formsOf, signIn } from './browser-session.js';
import { ALICE, authorizationRequest, codeFlow, WEB, useOAuthGateway } from './oauth-clients.js';

const server = useOAuthGateway();

describe('the end-session endpoint', () => {
  it('asks, signs the browser out, and the next authorization asks for the login again', async () => {
    const browser = new BrowserSession(server.gw.baseUrl);
    const { tokens, pages } = await codeFlow(server.web, WEB.redirect, browser, ALICE, 'openid');
    expect(pages).toEqual(['login', 'consent']);
    const again = await authorizationRequest(server.web, WEB.redirect, 'openid');
    expect((await signIn(browser, again.url.href, ALICE)).pages).toEqual([]);

    // The same browser is logged in to the gateway itself (Sage's web login and its cookie).
    const sageLogin = await browser.send(`${server.gw.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username_or_email: 'alice', password: 'alice-password' }),
    });
    expect(sageLogin.status).toBe(200);
    const sessionCookie = browser.cookieHeader(`${server.gw.baseUrl}/api/auth/session`);
    expect(sessionCookie).toContain('sage_session=');
    const { refresh_token } = (JSON.parse(sageLogin.body) as { data: { refresh_token: string } }).data;
    expect((await browser.get(`${server.gw.baseUrl}/api/auth/session`)).status).toBe(200);

    const alias = await browser.get(`${server.gw.baseUrl}/api/oauth2/end-session?client_id=${WEB.id}`);
    expect(alias.status).toBe(200);
    const ask = await browser.get(`${server.gw.baseUrl}/oauth2/end-session?client_id=${WEB.id}`);
    expect(ask.status).toBe(200);
    expect(ask.headers.get('cache-control')).toBe('no-store');
    expect(ask.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    const [form] = formsOf(ask.html!, ask.url);
    expect(form?.action).toBe(`${server.gw.baseUrl}/oauth2/end-session/confirm`);

    const forged = await browser.post(form!.action, { logout: 'yes' });
    expect(forged.status).toBe(400);

    const done = await browser.post(form!.action, { ...form!.fields, logout: 'yes' });
    expect(done.status).toBe(303);
    const success = await browser.get(done.location!);
    expect(success.status).toBe(200);
    expect(success.html).toContain('You are signed out');

    // The gateway login ended with it: its cookie (replayed as it was) and its refresh token are refused.
    expect(browser.cookieNames()).not.toContain('sage_session');
    const replayed = await fetch(`${server.gw.baseUrl}/api/auth/session`, { headers: { cookie: sessionCookie } });
    expect(replayed.status).toBe(401);
    const refreshed = await fetch(`${server.gw.baseUrl}/api/user/refresh-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token }) });
    expect(refreshed.status).toBe(401);

    // Signing out revokes what the session granted (unless offline_access was granted): its tokens end,
    // and the next authorization asks for the login and the consent again.
    expect(await oidc.tokenIntrospection(server.web, tokens.access_token)).toEqual({ active: false });
    const afterwards = await authorizationRequest(server.web, WEB.redirect, 'openid');
    expect((await signIn(browser, afterwards.url.href, ALICE)).pages).toEqual(['login', 'consent']);
  });
});
