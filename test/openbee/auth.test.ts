/**
 * OpenBee logins and tokens as its web client uses them: login, the 401 →
 * refresh → retry cycle, the per-address budget of login attempts, and
 * every way a token is refused. Crafted tokens are signed with the
 * gateway's real key, so only the property under test is wrong.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { BeeClient, loggedIn, startBeeGateway } from './client.js';

let gw: TestGateway & { api: string };
beforeAll(async () => {
  gw = await startBeeGateway({
    configure: (raw) => {
      // Each test speaks from an address of its own (X-Forwarded-For from the trusted local proxy).
      raw.server.trust_proxy = ['127.0.0.1'];
      raw.dialects.openbee.login_attempts_per_minute = 5;
    },
  });
});
afterAll(async () => {
  await gw?.stop();
});

let nextAddress = 1;
/** A client whose requests come from an address no other test uses. */
function fromNewAddress(): BeeClient {
  const address = `203.0.113.${nextAddress++}`;
  const client = new BeeClient(gw.api);
  const raw = client.raw.bind(client);
  client.raw = (method, path, options = {}) => raw(method, path, { ...options, headers: { 'x-forwarded-for': address, ...options.headers } });
  return client;
}

async function craft(claims: Record<string, unknown>, edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt): Promise<string> {
  const jwt = new SignJWT({ tenant_code: 'demo', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('alice')
    .setAudience('switchboard:openbee')
    .setIssuer('switchboard')
    .setIssuedAt();
  return edit(jwt).sign(gw.gateway.engine.signingKey);
}

describe('POST /api/auth/login', () => {
  it('answers two JWTs typed access and refresh, the access one for 2 hours', async () => {
    const client = fromNewAddress();
    const reply = await client.login('alice', 'alice-password');
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token']);
    expect(reply.body.expires_in).toBe(7200);
    const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims(reply.body.access_token)).toMatchObject({ type: 'access', sub: 'alice' });
    expect(claims(reply.body.refresh_token)).toMatchObject({ type: 'refresh', sub: 'alice' });
    expect(claims(reply.body.refresh_token).exp - claims(reply.body.refresh_token).iat).toBe(7 * 24 * 3600);
    expect((await client.get('/workers')).status).toBe(200);
  });

  it('tells a wrong password (401) from a bad body (400), in the {error} shape', async () => {
    const client = fromNewAddress();
    const wrong = await client.login('alice', 'nope');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: expect.any(String) });
    for (const json of [{ username: 'alice' }, { password: 'x' }, [], { username: 5, password: 'x' }]) {
      const bad = await client.raw('POST', '/auth/login', { json });
      expect(bad.status).toBe(400);
      expect(Object.keys(bad.body)).toEqual(['error']);
    }
  });

  it('allows 5 attempts a minute per address, right or wrong, then 429 with the document\'s words', async () => {
    const client = fromNewAddress();
    for (let i = 0; i < 4; i++) expect((await client.login('bob', 'wrong')).status).toBe(401);
    expect((await client.login('bob', 'bob-password')).status).toBe(200);
    const refused = await client.login('bob', 'bob-password');
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: 'too many attempts, please try again later' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not held back by this one.
    expect((await fromNewAddress().login('bob', 'bob-password')).status).toBe(200);
  });
});

describe('tokens', () => {
  it('refresh answers a new access token and keeps the refresh token (not rotated)', async () => {
    const client = fromNewAddress();
    await client.login('alice', 'alice-password');
    const first = await client.raw('POST', '/auth/refresh', { json: { refresh_token: client.refreshToken } });
    const second = await client.raw('POST', '/auth/refresh', { json: { refresh_token: client.refreshToken } });
    expect(first.status).toBe(200);
    expect(Object.keys(first.body).sort()).toEqual(['access_token', 'expires_in']);
    expect(second.status).toBe(200);
    expect((await client.get('/workers', { token: first.body.access_token })).status).toBe(200);
  });

  it('refuses a refresh token as an access token and the reverse', async () => {
    const client = fromNewAddress();
    await client.login('alice', 'alice-password');
    const asAccess = await client.get('/workers', { token: client.refreshToken });
    expect(asAccess.status).toBe(401);
    expect(asAccess.body.error).toMatch(/access token/);
    const asRefresh = await client.raw('POST', '/auth/refresh', { json: { refresh_token: client.accessToken } });
    expect(asRefresh.status).toBe(401);
    expect(asRefresh.body.error).toMatch(/refresh token/);
  });

  it('takes the token from ?token= (EventSource and links) and refuses a missing one', async () => {
    const client = await loggedIn(gw.api);
    expect((await client.get('/workers', { token: null, query: { token: client.accessToken! } })).status).toBe(200);
    const missing = await client.get('/workers', { token: null });
    expect(missing.status).toBe(401);
    expect(Object.keys(missing.body)).toEqual(['error']);
  });

  it('an expired access token gets 401; the client refreshes once and its retry succeeds', async () => {
    const client = fromNewAddress();
    await client.login('alice', 'alice-password');
    const expired = await craft({ type: 'access' }, (jwt) => jwt.setIssuedAt(Math.floor(Date.now() / 1000) - 7300).setExpirationTime(Math.floor(Date.now() / 1000) - 100));
    const direct = await client.get('/workers', { token: expired });
    expect(direct).toMatchObject({ status: 401, body: { error: 'access token expired' } });
    client.accessToken = expired;
    const retried = await client.get('/workers');
    expect(retried.status).toBe(200);
    expect(client.refreshes).toBe(1);
    expect(client.accessToken).not.toBe(expired);
  });

  it('refuses tokens of other audiences, keys or algorithms, and of users that are gone', async () => {
    const client = fromNewAddress();
    const other = await new SignJWT({ tenant_code: 'demo', type: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setAudience('switchboard:openbee')
      .setIssuer('switchboard')
      .sign(new TextEncoder().encode('another-key-another-key-another-key!'));
    const ghost = await craft({ type: 'access' }, (jwt) => jwt.setSubject('nobody'));
    const otherAudience = await craft({ type: 'access' }, (jwt) => jwt.setAudience('switchboard:elsewhere'));
    for (const token of [other, ghost, otherAudience, 'not-a-jwt']) {
      const reply = await client.get('/workers', { token });
      expect(reply.status).toBe(401);
      expect(Object.keys(reply.body)).toEqual(['error']);
    }
  });

  it('the same user\'s static token works here too (one user in every API)', async () => {
    const reply = await new BeeClient(gw.api).get('/workers', { token: 'demo-token-bob' });
    expect(reply.status).toBe(200);
  });
});
