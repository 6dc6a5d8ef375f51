/**
 * What the authorization server keeps on Redis (or in the sqlite file)
 * outlives the gateway process:
 * a gateway killed with SIGKILL (no shutdown, nothing flushed) and started
 * again on the same port and data still knows the browser's login session,
 * the remembered consent, an authorization code not yet redeemed, the access
 * and refresh tokens, and its generated signing key.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { killGatewayProcesses, startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import type { RawConfig } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { BrowserSession, signIn } from './browser-session.js';
import { ALICE, authorizationRequest, codeFlow, discover, WEB, withOAuthClients } from './oauth-clients.js';

describe.each(['redis', 'sqlite'] as const)('a gateway on %s killed with SIGKILL and started again', (kind) => {
  let redis: RedisServer | undefined;
  let port: number;
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-oauth-crash-'));
  const configure = (raw: RawConfig) => {
    raw.store = kind === 'redis' ? { ...raw.store, kind, url: redis!.url } : { ...raw.store, kind, data_dir: dataDir };
    withOAuthClients(raw);
  };
  // The same port both times: the issuer (and so every token's `iss`) is the listen address.
  const start = () => startGatewayProcess({ configure, env: { PORT: String(port) } });

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedis();
    port = await freePort();
  });
  afterAll(async () => {
    killGatewayProcesses();
    await redis?.stop();
  });

  it('keeps login sessions, consents, codes, tokens and keys', { timeout: 60_000 }, async () => {
    let gateway: GatewayProcess = await start();
    const web = await discover(gateway.base, WEB.id, oidc.ClientSecretBasic(WEB.secret));
    const browser = new BrowserSession(gateway.base);

    const { tokens, pages } = await codeFlow(web, WEB.redirect, browser, ALICE, 'openid profile offline_access');
    expect(pages).toEqual(['login', 'consent']);
    expect(tokens.refresh_token).toBeTruthy();
    // A second code, issued but not redeemed before the crash.
    const second = await authorizationRequest(web, WEB.redirect, 'openid profile');
    const pending = await signIn(browser, second.url.href, ALICE);
    expect(pending.pages).toEqual([]);
    const jwks = await (await fetch(`${gateway.base}/oauth2/jwks`)).json();

    await gateway.kill();
    gateway = await start();

    expect(await (await fetch(`${gateway.base}/oauth2/jwks`)).json()).toEqual(jwks);
    // The access token is still alice's, for the OAuth endpoints and for a dialect alike.
    expect(await oidc.fetchUserInfo(web, tokens.access_token, 'demo/alice')).toMatchObject({ sub: 'demo/alice', preferred_username: 'alice' });
    const profile = await fetch(`${gateway.base}/api/user/profile`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ success: true, data: { username: 'alice' } });
    // The code from before the crash is redeemed once, as always.
    const late = await oidc.authorizationCodeGrant(web, pending.redirect, { pkceCodeVerifier: second.verifier, expectedState: second.state });
    expect(late.claims()?.sub).toBe('demo/alice');
    // The refresh token works.
    const refreshed = await oidc.refreshTokenGrant(web, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(web, refreshed.access_token)).toMatchObject({ active: true, sub: 'demo/alice' });
    // The browser is still signed in and its consent remembered: no page at all.
    const third = await authorizationRequest(web, WEB.redirect, 'openid profile');
    const again = await signIn(browser, third.url.href, ALICE);
    expect(again.pages).toEqual([]);
    expect(again.redirect.searchParams.get('code')).toBeTruthy();
  });
});
