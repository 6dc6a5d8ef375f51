/**
 * The authorization server's access tokens as `Authorization: Bearer`
 * credentials of the four APIs: a relying party signs alice in (code flow
 * with PKCE through the gateway's pages), then calls one endpoint of each
 * API as her; the same token is refused once revoked, once expired, and when
 * another server issued it. On the memory store and on Redis.
 */
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { redisPerFile } from '../support/redis-per-file.js';
import { BrowserSession } from './browser-session.js';
import { ALICE, codeFlow, discover, WEB, withOAuthClients } from './oauth-clients.js';

const redis = redisPerFile('oauth-bearer');

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(base: string, method: string, path: string, token: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** One authenticated endpoint of each API, and what it answers a caller it accepted. */
const ENDPOINTS = {
  sage: (base: string, token: string) => call(base, 'GET', '/api/user/profile', token),
  openbee: (base: string, token: string) => call(base, 'GET', '/openbee/api/workers', token),
  bitagent: (base: string, token: string) => call(base, 'GET', '/api/v3/openapi/common/llm_names', token),
  agentsV1: (base: string, token: string) => call(base, 'POST', '/api/v1/conversations', token, {}),
};

/** Every API refuses `token` with a 401 in its own error shape. */
async function expectRefusedEverywhere(base: string, token: string): Promise<void> {
  const sage = await ENDPOINTS.sage(base, token);
  expect(sage).toMatchObject({ status: 401, body: { success: false, code: 401 } });
  const openbee = await ENDPOINTS.openbee(base, token);
  expect(openbee.status).toBe(401);
  const bitagent = await ENDPOINTS.bitagent(base, token);
  expect(bitagent.status).toBe(401);
  expect(bitagent.body).toHaveProperty('code');
  const agents = await ENDPOINTS.agentsV1(base, token);
  expect(agents.status).toBe(401);
  expect(agents.body).toHaveProperty('error');
}

describe.each(['memory', 'redis'] as const)('on the %s store', (store) => {
  let gw: TestGateway;
  let web: oidc.Configuration;

  beforeAll(async () => {
    gw = await startTestGateway({ store, ...(store === 'redis' ? { redisUrl: redis.server().url } : {}), configure: withOAuthClients });
    web = await discover(gw.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('calls one endpoint of each API as the user the token names, until the token is revoked', async () => {
    const { tokens } = await codeFlow(web, WEB.redirect, new BrowserSession(gw.baseUrl), ALICE);
    const token = tokens.access_token;

    const sage = await ENDPOINTS.sage(gw.baseUrl, token);
    expect(sage.status).toBe(200);
    expect(sage.body).toMatchObject({ success: true, data: { username: 'alice' } });
    const openbee = await ENDPOINTS.openbee(gw.baseUrl, token);
    expect(openbee.status).toBe(200);
    const bitagent = await ENDPOINTS.bitagent(gw.baseUrl, token);
    expect(bitagent).toMatchObject({ status: 200, body: { code: '200' } });
    const agents = await ENDPOINTS.agentsV1(gw.baseUrl, token);
    expect(agents).toMatchObject({ status: 200, body: { conversation_id: expect.any(String) } });
    const conversationId = String(agents.body.conversation_id);

    // The conversation Agents v1 made for the token's user is alice's in Sage too.
    const messages = await call(gw.baseUrl, 'GET', `/api/conversations/${encodeURIComponent(conversationId)}/messages`, token);
    expect(messages).toMatchObject({ status: 200, body: { success: true } });

    await oidc.tokenRevocation(web, token);
    await expectRefusedEverywhere(gw.baseUrl, token);
  });

  it('refuses a client_credentials token, which names no user', async () => {
    const { access_token } = await oidc.clientCredentialsGrant(web);
    expect(await oidc.tokenIntrospection(web, access_token)).toMatchObject({ active: true });
    await expectRefusedEverywhere(gw.baseUrl, access_token);
  });
});

describe('tokens that are no longer good', () => {
  let short: TestGateway;
  let other: TestGateway;
  beforeAll(async () => {
    short = await startTestGateway({
      configure: (raw) => {
        withOAuthClients(raw);
        raw.oauth = { access_token_ttl_seconds: 2 };
      },
    });
    other = await startTestGateway({ configure: withOAuthClients });
  });
  afterAll(async () => {
    await short?.stop();
    await other?.stop();
  });

  it('refuses an access token once it has expired', async () => {
    const web = await discover(short.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
    const { tokens } = await codeFlow(web, WEB.redirect, new BrowserSession(short.baseUrl), ALICE);
    expect(await ENDPOINTS.sage(short.baseUrl, tokens.access_token)).toMatchObject({ status: 200, body: { data: { username: 'alice' } } });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await expectRefusedEverywhere(short.baseUrl, tokens.access_token);
  });

  it('refuses a token another authorization server issued (its own keys and store)', async () => {
    const foreign = await discover(other.baseUrl, WEB.id, oidc.ClientSecretBasic(WEB.secret));
    const { tokens } = await codeFlow(foreign, WEB.redirect, new BrowserSession(other.baseUrl), ALICE);
    expect((await ENDPOINTS.sage(other.baseUrl, tokens.access_token)).status).toBe(200);
    await expectRefusedEverywhere(short.baseUrl, tokens.access_token);
  });
});
