/**
 * What a client sees when it gets OAuth2 wrong: `{error, error_description}`
 * with `Cache-Control: no-store`, from the token endpoint and from the
 * authorization endpoint where it cannot redirect back (an HTML page for a
 * browser instead); errors it can redirect are sent to the redirect_uri.
 */
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { BrowserSession, signIn } from './browser-session.js';
import { ALICE, authorizationRequest, SPA, WEB, useOAuthGateway } from './oauth-clients.js';

const server = useOAuthGateway();

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function tokenRequest(form: Record<string, string>, authorization = basic(WEB.id, WEB.secret)) {
  const res = await fetch(`${server.gw.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as Record<string, unknown> };
}

/** `{error, error_description}` and nothing else, as RFC 6749 section 5.2 has it. */
const oauthError = (error: string) => ({ error, error_description: expect.any(String) });

/** A code issued to alice for the web app, and the verifier that goes with it. */
async function issuedCode() {
  const request = await authorizationRequest(server.web, WEB.redirect);
  const { redirect } = await signIn(new BrowserSession(server.gw.baseUrl), request.url.href, ALICE);
  return { code: redirect.searchParams.get('code')!, verifier: request.verifier };
}

describe('the token endpoint', () => {
  it('refuses a code with the wrong PKCE verifier (the holder of the right one still redeems it)', async () => {
    const { code, verifier } = await issuedCode();
    const wrong = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirect, code_verifier: oidc.randomPKCECodeVerifier() });
    expect(wrong).toEqual({ status: 400, cacheControl: 'no-store', body: oauthError('invalid_grant') });
    const right = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirect, code_verifier: verifier });
    expect(right.status).toBe(200);
    expect(right.body.access_token).toEqual(expect.any(String));
  });

  it('refuses a code presented without its PKCE verifier', async () => {
    const { code } = await issuedCode();
    const res = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirect });
    expect(res).toEqual({ status: 400, cacheControl: 'no-store', body: oauthError('invalid_grant') });
  });

  it('refuses a code presented with another redirect_uri', async () => {
    const { code, verifier } = await issuedCode();
    const res = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/other', code_verifier: verifier });
    expect(res).toEqual({ status: 400, cacheControl: 'no-store', body: oauthError('invalid_grant') });
  });

  it('refuses an unknown client and a wrong secret with 401 invalid_client', async () => {
    const form = { grant_type: 'client_credentials' };
    expect(await tokenRequest(form, basic('no-such-client', 'whatever-secret'))).toEqual({ status: 401, cacheControl: 'no-store', body: oauthError('invalid_client') });
    expect(await tokenRequest(form, basic(WEB.id, 'not-the-secret'))).toEqual({ status: 401, cacheControl: 'no-store', body: oauthError('invalid_client') });
  });

  it('refuses an unknown grant type', async () => {
    expect(await tokenRequest({ grant_type: 'password', username: 'alice', password: 'alice-password' })).toEqual({
      status: 400,
      cacheControl: 'no-store',
      body: oauthError('unsupported_grant_type'),
    });
  });
});

describe('the authorization endpoint', () => {
  const authorize = (params: Record<string, string>, accept = 'application/json') =>
    fetch(`${server.gw.baseUrl}/oauth2/authorize?${new URLSearchParams(params)}`, { headers: { accept }, redirect: 'manual' });
  const withPkce = { response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };

  it('answers a redirect_uri that is not registered exactly with JSON, not a redirect', async () => {
    for (const redirect of ['https://evil.example/callback', `${WEB.redirect}/`, `${WEB.redirect}?x=1`]) {
      const res = await authorize({ ...withPkce, client_id: WEB.id, redirect_uri: redirect });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual(oauthError('invalid_redirect_uri'));
    }
  });

  it('answers an unknown client with JSON invalid_client', async () => {
    const res = await authorize({ ...withPkce, client_id: 'no-such-client', redirect_uri: WEB.redirect });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual(oauthError('invalid_client'));
  });

  it('shows a browser the same error as a readable page', async () => {
    const res = await authorize({ ...withPkce, client_id: 'no-such-client', redirect_uri: WEB.redirect }, 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('client is invalid');
  });

  it('sends a request without PKCE back to the client with invalid_request', async () => {
    for (const client of [WEB.id, SPA.id]) {
      const redirect = client === WEB.id ? WEB.redirect : SPA.redirect;
      const res = await authorize({ response_type: 'code', scope: 'openid', client_id: client, redirect_uri: redirect, state: 's1' });
      expect(res.status).toBe(303);
      const back = new URL(res.headers.get('location')!);
      expect(`${back.origin}${back.pathname}`).toBe(redirect);
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
      expect(back.searchParams.get('state')).toBe('s1');
    }
  });

  it('refuses the plain PKCE method', async () => {
    const res = await authorize({ ...withPkce, code_challenge_method: 'plain', client_id: WEB.id, redirect_uri: WEB.redirect });
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_request');
  });
});
