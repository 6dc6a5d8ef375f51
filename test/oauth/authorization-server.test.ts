/**
 * The embedded authorization server as a relying party (openid-client) sees
 * it on the real gateway: discovery through RFC 8414 from the issuer URL, the
 * code flow with PKCE through the gateway's own login and consent pages,
 * refresh (rotated for a public client), userinfo, introspection,
 * revocation and client_credentials; on the memory store and on Redis.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { redisPerFile } from '../support/redis-per-file.js';
import { BrowserSession } from './browser-session.js';
import { ALICE, codeFlow as signInFlow, discover, SPA, WEB, withOAuthClients } from './oauth-clients.js';

const redis = redisPerFile('oauth-flows');

describe.each(['memory', 'redis'] as const)('on the %s store', (store) => {
  let gw: TestGateway;
  let web: oidc.Configuration;
  let spa: oidc.Configuration;

  beforeAll(async () => {
    gw = await startTestGateway({ store, ...(store === 'redis' ? { redisUrl: redis.server().url } : {}), configure: withOAuthClients });
    web = await discover(gw.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
    spa = await discover(gw.baseUrl, SPA.id, oidc.None());
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const codeFlow = (config: oidc.Configuration, redirect: string, scope?: string) => signInFlow(config, redirect, new BrowserSession(gw.baseUrl), ALICE, scope);

  it('publishes RFC 8414 metadata for the issuer, with every endpoint under /oauth2', () => {
    const meta = web.serverMetadata();
    expect(meta.issuer).toBe(gw.baseUrl);
    expect(meta.authorization_endpoint).toBe(`${gw.baseUrl}/oauth2/authorize`);
    expect(meta.token_endpoint).toBe(`${gw.baseUrl}/oauth2/token`);
    expect(meta.userinfo_endpoint).toBe(`${gw.baseUrl}/oauth2/userinfo`);
    expect(meta.jwks_uri).toBe(`${gw.baseUrl}/oauth2/jwks`);
    expect(meta.introspection_endpoint).toBe(`${gw.baseUrl}/oauth2/introspect`);
    expect(meta.revocation_endpoint).toBe(`${gw.baseUrl}/oauth2/revoke`);
    expect(meta.end_session_endpoint).toBe(`${gw.baseUrl}/oauth2/end-session`);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
    expect(meta.registration_endpoint).toBeUndefined();
  });

  it('signs alice in through the login and consent pages, then serves her userinfo', async () => {
    const { tokens, pages } = await codeFlow(web, WEB.redirect);
    expect(pages).toEqual(['login', 'consent']);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    const claims = tokens.claims();
    expect(claims?.sub).toBe('demo/alice');
    expect(claims?.iss).toBe(gw.baseUrl);
    const info = await oidc.fetchUserInfo(web, tokens.access_token, 'demo/alice');
    expect(info).toMatchObject({ sub: 'demo/alice', preferred_username: 'alice', email: 'alice@example.com', tenant: 'demo' });
  });

  it('does not ask a remembered consent again, even in a new login session', async () => {
    await codeFlow(web, WEB.redirect, 'openid profile');
    const again = await codeFlow(web, WEB.redirect, 'openid profile');
    expect(again.pages).toEqual(['login']);
  });

  it('refreshes, and rotates the refresh token of a public client', async () => {
    const { tokens } = await codeFlow(spa, SPA.redirect);
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(spa, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // The replaced one is spent: using it again fails.
    await expect(oidc.refreshTokenGrant(spa, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('introspects an access token for a confidential client, and revocation ends it', async () => {
    const { tokens } = await codeFlow(web, WEB.redirect);
    const active = await oidc.tokenIntrospection(web, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: WEB.id, sub: 'demo/alice', token_type: 'Bearer' });
    await oidc.tokenRevocation(web, tokens.access_token);
    expect(await oidc.tokenIntrospection(web, tokens.access_token)).toEqual({ active: false });
    const res = await fetch(`${gw.baseUrl}/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_token', error_description: expect.any(String) });
  });

  it('issues client_credentials tokens to a confidential client that lists the grant', async () => {
    const tokens = await oidc.clientCredentialsGrant(web);
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeUndefined();
    expect(await oidc.tokenIntrospection(web, tokens.access_token)).toMatchObject({ active: true, client_id: WEB.id });
  });

  it('refuses client_credentials to a client without the grant', async () => {
    const res = await fetch(`${gw.baseUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SPA.id }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // RFC 6749 §5.2: the client is known but not registered for this grant.
    expect(await res.json()).toEqual({ error: 'unauthorized_client', error_description: expect.any(String) });
  });
});
