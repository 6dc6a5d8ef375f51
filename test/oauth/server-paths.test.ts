/**
 * Where the authorization server answers on the gateway: RFC 8414 and OpenID
 * discovery, the metadata aliases, every endpoint under `/oauth2/*` and again
 * under `/api/oauth2/*`, unknown paths left to the gateway's 404, https
 * endpoints behind a trusted TLS proxy, and dynamic registration only when
 * the config turns it on.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { discover, SPA, WEB, withOAuthClients } from './oauth-clients.js';

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('on the default config', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ configure: withOAuthClients });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('serves one metadata document at RFC 8414, OpenID discovery and both aliases', async () => {
    const paths = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/oauth2/metadata', '/api/oauth2/metadata'];
    const docs = await Promise.all(paths.map(async (path) => ({ path, status: (await fetch(gw.baseUrl + path)).status, body: await json(await fetch(gw.baseUrl + path)) })));
    for (const doc of docs) expect({ path: doc.path, status: doc.status, issuer: doc.body.issuer }).toEqual({ path: doc.path, status: 200, issuer: gw.baseUrl });
    expect(new Set(docs.map((d) => JSON.stringify(d.body))).size).toBe(1);
  });

  it('answers the endpoints under /api/oauth2 as under /oauth2', async () => {
    const basic = `Basic ${Buffer.from(`${WEB.id}:${WEB.secret}`).toString('base64')}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };
    const token = await fetch(`${gw.baseUrl}/api/oauth2/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' });
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toBe('no-store');
    const { access_token } = (await token.json()) as { access_token: string };
    const introspected = await fetch(`${gw.baseUrl}/api/oauth2/introspect`, { method: 'POST', headers: form, body: `token=${access_token}` });
    expect(await json(introspected)).toMatchObject({ active: true, client_id: WEB.id });
    const revoked = await fetch(`${gw.baseUrl}/api/oauth2/revoke`, { method: 'POST', headers: form, body: `token=${access_token}` });
    expect(revoked.status).toBe(200);

    const jwks = await json(await fetch(`${gw.baseUrl}/api/oauth2/jwks`));
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'RSA', use: 'sig', alg: 'RS256', kid: expect.any(String) })]);
    expect(JSON.stringify(jwks)).not.toMatch(/"d":/);

    const authorize = await fetch(`${gw.baseUrl}/api/oauth2/authorize?client_id=${SPA.id}&response_type=code&redirect_uri=${encodeURIComponent(SPA.redirect)}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&scope=openid`, { redirect: 'manual' });
    expect(authorize.status).toBe(303);
    expect(new URL(authorize.headers.get('location')!, gw.baseUrl).pathname).toMatch(/^\/oauth2\/interaction\//);
  });

  it('answers userinfo by GET and POST, under both prefixes, refusing a bad token', async () => {
    for (const path of ['/oauth2/userinfo', '/api/oauth2/userinfo']) {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(gw.baseUrl + path, { method, headers: { authorization: 'Bearer not-a-token' } });
        expect({ path, method, status: res.status, cache: res.headers.get('cache-control') }).toEqual({ path, method, status: 401, cache: 'no-store' });
        expect(await json(res)).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
      }
    }
  });

  it("leaves unknown paths under both prefixes to the gateway's 404", async () => {
    for (const path of ['/oauth2/no-such-endpoint', '/api/oauth2/no-such-endpoint', '/oauth2/token/extra', '/api/oauth2/.well-known/openid-configuration', '/oauth2/interaction']) {
      const res = await fetch(gw.baseUrl + path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers.get('content-type')).toMatch(/json/);
      expect(JSON.stringify(await res.json())).toContain('no route for GET');
    }
    // A known path with a method it does not take is the gateway's too.
    const res = await fetch(`${gw.baseUrl}/oauth2/token`);
    expect(res.status).toBe(404);
  });

  it('serves no registration endpoint when dynamic registration is off', async () => {
    const res = await fetch(`${gw.baseUrl}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"redirect_uris":["https://x.example/cb"]}' });
    expect(res.status).toBe(404);
  });
});

describe('behind a trusted TLS proxy, with dynamic registration on', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      configure: (raw) => {
        withOAuthClients(raw);
        raw.server.trust_proxy = ['127.0.0.1'];
        raw.oauth = { issuer: 'https://id.example', dynamic_registration: true };
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('names the configured issuer and https endpoints on the forwarded host', async () => {
    const res = await fetch(`${gw.baseUrl}/.well-known/oauth-authorization-server`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.example' } });
    const meta = await json(res);
    expect(meta.issuer).toBe('https://id.example');
    expect(meta.token_endpoint).toBe('https://id.example/oauth2/token');
    expect(meta.registration_endpoint).toBe('https://id.example/oauth2/register');
  });

  it('registers a client, which then finds itself by its registration token', async () => {
    const res = await fetch(`${gw.baseUrl}/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.example' },
      body: JSON.stringify({ redirect_uris: ['https://new.example/cb'], token_endpoint_auth_method: 'none' }),
    });
    expect(res.status).toBe(201);
    const client = await json(res);
    expect(client).toMatchObject({ client_id: expect.any(String), redirect_uris: ['https://new.example/cb'], registration_access_token: expect.any(String) });
    const read = await fetch(`${gw.baseUrl}/oauth2/register/${client.client_id as string}`, {
      headers: { authorization: `Bearer ${client.registration_access_token as string}`, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.example' },
    });
    expect(read.status).toBe(200);
    expect(await json(read)).toMatchObject({ client_id: client.client_id });
  });
});

describe('behind no trusted proxy', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ configure: withOAuthClients });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('ignores forwarded headers a client sends itself', async () => {
    const config = await discover(gw.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
    const res = await fetch(`${gw.baseUrl}/.well-known/oauth-authorization-server`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' } });
    const meta = await json(res);
    expect(meta.token_endpoint).toBe(`${gw.baseUrl}/oauth2/token`);
    expect(config.serverMetadata().token_endpoint).toBe(meta.token_endpoint);
  });
});
