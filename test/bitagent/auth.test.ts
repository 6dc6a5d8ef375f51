/**
 * User tokens: how they are issued from a tenant API key, how they are
 * presented, and every way a bad one is refused. Crafted tokens are signed
 * with the gateway's real key, so only the property under test is wrong.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { OTHER_API_KEY, OTHER_TENANT, startBitAgentGateway, type BitAgentClient } from './client.js';

let gw: TestGateway;
let api: BitAgentClient;
beforeAll(async () => {
  ({ gw, api } = await startBitAgentGateway());
});
afterAll(async () => {
  await gw?.stop();
});

const issue = (authorization: string | undefined, json: unknown) => api.call('POST', '/auth/user-token', { authorization, json });

/** A token with the claims the gateway issues, changed by `edit`. */
async function craft(edit: (jwt: SignJWT) => SignJWT, key: Uint8Array = gw.gateway.engine.signingKey, alg = 'HS256'): Promise<string> {
  const jwt = new SignJWT({ tenant_code: 'demo' })
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setSubject('user_001')
    .setAudience('switchboard:bitagent')
    .setIssuer('switchboard')
    .setIssuedAt();
  return edit(jwt).sign(key);
}

const abilities = (token: string) => api.call('POST', '/ability/page', { token, json: {} });

describe('POST /auth/user-token', () => {
  it('takes the API key bare or after Bearer, and makes a new user_id a user of the tenant', async () => {
    for (const authorization of ['demo-api-key', 'Bearer demo-api-key']) {
      const reply = await issue(authorization, { user_id: `new-user-${authorization.length}`, tenant_code: 'demo' });
      expect(reply.status).toBe(200);
      expect(reply.body.data).toMatchObject({ token_type: 'Bearer', expires_in: 86400 });
      const listed = await abilities(reply.body.data.access_token);
      expect(listed.body).toMatchObject({ code: '200', total: 1 });
    }
  });

  it.each([
    ['no Authorization header', undefined, 401, 'missing API key'],
    ['an unknown API key', 'not-a-key', 401, 'invalid API key'],
    ['a user token instead of an API key', 'Bearer demo-token-alice', 401, 'invalid API key'],
  ])('refuses %s with 401', async (_label, authorization, status, message) => {
    const reply = await issue(authorization, { user_id: 'u1', tenant_code: 'demo' });
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ code: String(status), message, data: null });
    expect(reply.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses a tenant_code other than the key’s tenant with 403', async () => {
    for (const tenant of [OTHER_TENANT, 'no-such-tenant']) {
      const reply = await issue('demo-api-key', { user_id: 'u1', tenant_code: tenant });
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({ code: '403', message: expect.stringContaining('tenant mismatch'), data: null });
    }
  });

  it.each([
    ['user_id missing', { tenant_code: 'demo' }, 'user_id'],
    ['user_id empty', { user_id: '', tenant_code: 'demo' }, 'user_id'],
    ['user_id of 129 characters', { user_id: 'x'.repeat(129), tenant_code: 'demo' }, 'user_id'],
    ['user_id not a string', { user_id: 7, tenant_code: 'demo' }, 'user_id'],
    ['user_id with a control character', { user_id: 'a\u0000b', tenant_code: 'demo' }, 'user_id'],
    ['tenant_code missing', { user_id: 'u1' }, 'tenant_code'],
    ['tenant_code of 129 characters', { user_id: 'u1', tenant_code: 'd'.repeat(129) }, 'tenant_code'],
  ])('refuses %s with 400 naming the field', async (_label, body, field) => {
    const reply = await issue('demo-api-key', body);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ code: '400', message: expect.stringContaining(field), data: null });
  });

  it('accepts user ids of exactly 128 characters, and any script', async () => {
    for (const userId of ['u'.repeat(128), 'użytkownik-名前']) {
      expect((await issue('demo-api-key', { user_id: userId, tenant_code: 'demo' })).status).toBe(200);
    }
  });
});

describe('presenting a user token', () => {
  it('works as Authorization: Bearer and as ?access_token=', async () => {
    const token = await api.token('user_001');
    expect((await api.call('GET', '/common/llm_names', { token })).body.data).toEqual(['demo']);
    const byQuery = await api.call('GET', `/common/llm_names?access_token=${encodeURIComponent(token)}`);
    expect(byQuery.body).toEqual({ code: '200', message: '', data: ['demo'] });
  });

  it('also accepts the gateway’s other credentials for the same user (a static user token)', async () => {
    const reply = await api.call('POST', '/ability/page', { token: 'demo-token-alice', json: {} });
    expect(reply.body).toMatchObject({ code: '200', total: 1 });
  });

  it('refuses a missing token, and says an expired one is expired', async () => {
    expect((await api.call('GET', '/common/llm_names')).body).toEqual({ code: '401', message: 'missing access token', data: null });
    const expired = await craft((jwt) => jwt.setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600));
    const reply = await api.call('GET', '/common/llm_names', { token: expired });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ code: '401', message: 'access token expired', data: null });
  });

  it('refuses tampered, unsigned, wrong-algorithm, wrong-key and foreign tokens', async () => {
    const good = await api.token('user_001');
    const [header, payload, signature] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'alice' })).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const flipped = signature!.slice(0, -2) + (signature!.endsWith('AA') ? 'BB' : 'AA');
    const bad = [
      ['claims changed under the old signature', `${header}.${forged}.${signature}`],
      ['signature changed', `${header}.${payload}.${flipped}`],
      ['alg none', none],
      ['HS512 with the same key', await craft((jwt) => jwt, gw.gateway.engine.signingKey, 'HS512')],
      ['another key', await craft((jwt) => jwt, new TextEncoder().encode('k'.repeat(32)))],
      ['another audience', await craft((jwt) => jwt.setAudience('switchboard:sage'))],
      ['another issuer', await craft((jwt) => jwt.setIssuer('elsewhere'))],
      ['an unknown user', await craft((jwt) => jwt.setSubject('nobody-ever-issued'))],
      ['not a JWT', 'garbage'],
    ] as const;
    for (const [label, token] of bad) {
      const reply = await api.call('GET', '/common/llm_names', { token });
      expect({ label, status: reply.status, code: reply.body.code }).toEqual({ label, status: 401, code: '401' });
    }
  });

  it('keeps tenants apart: a token of another tenant sees only that tenant', async () => {
    const other = await api.token('user_001', OTHER_API_KEY, OTHER_TENANT);
    const listed = await abilities(other);
    expect(listed.body.data.map((a: { id: string }) => a.id)).toEqual(['acme-agent']);
    expect((await api.call('GET', '/ability/detail/demo-agent', { token: other })).body).toEqual({ code: '404', message: 'ability not found', data: null });
    // The same user_id in another tenant is another user.
    const created = await api.call('POST', '/task/create', {
      token: await api.token('user_001'),
      json: { ability_id: 'demo-agent', executor_type: 'client', inputs: { question: 'hi' } },
    });
    const taskId = created.body.data as string;
    expect((await api.call('GET', `/task/detail/${taskId}`, { token: other })).status).toBe(404);
    expect((await api.call('POST', `/task/cancel/${taskId}`, { token: other })).status).toBe(404);
    expect((await api.call('GET', `/task/stream/${taskId}`, { token: other })).status).toBe(404);
    expect((await api.call('GET', `/task/space_view?task_id=${taskId}`, { token: other })).status).toBe(404);
    // A correctly signed token naming a tenant where its user was never issued a token is refused.
    const aliceInAcme = await craft((jwt) => jwt.setSubject('alice'));
    expect((await abilities(aliceInAcme)).status).toBe(200);
    for (const tenant of [OTHER_TENANT, 'no-such-tenant']) {
      const moved = await new SignJWT({ tenant_code: tenant })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setAudience('switchboard:bitagent')
        .setIssuer('switchboard')
        .sign(gw.gateway.engine.signingKey);
      expect((await abilities(moved)).body).toEqual({ code: '401', message: 'invalid access token', data: null });
    }
  });
});

describe('token lifetime', () => {
  it('issues tokens without expiry when token_ttl_seconds is null', async () => {
    const started = await startBitAgentGateway({ extra: (raw) => (raw.dialects.bitagent.token_ttl_seconds = null) });
    try {
      const reply = await started.api.call('POST', '/auth/user-token', {
        authorization: 'demo-api-key',
        json: { user_id: 'forever', tenant_code: 'demo' },
      });
      expect(reply.body.data.expires_in).toBeNull();
      const claims = JSON.parse(Buffer.from(reply.body.data.access_token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      expect(claims).not.toHaveProperty('exp');
      expect(claims).toMatchObject({ sub: 'forever', tenant_code: 'demo' });
      expect((await started.api.call('GET', '/common/llm_names', { token: reply.body.data.access_token })).status).toBe(200);
    } finally {
      await started.gw.stop();
    }
  });
});
