/**
 * Sage system routes: the public bootstrap and health, and the Jaeger gate
 * (admins redirected to the configured Jaeger, 401/403/404 otherwise).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { asDemoUser, SageClient, startSageGateway } from './client.js';

describe('the Jaeger gate, configured', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startSageGateway({ configure: (raw) => void (raw.dialects.sage.jaeger_url = 'http://jaeger.internal:16686/') });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('answers the root /health that Sage\'s own clients check, without a login', async () => {
    const health = await fetch(`${gw.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', timestamp: expect.any(String) });
  });

  it('admins: auth is 204, the root and any path are 307 to Jaeger with the rest and the query kept, login is 302', async () => {
    const alice = asDemoUser(gw);
    const auth = await alice.get('/api/observability/jaeger/auth');
    expect(auth.status).toBe(204);
    expect(auth.text).toBe('');
    const root = await fetch(`${gw.baseUrl}/api/observability/jaeger`, { redirect: 'manual', headers: { authorization: 'Bearer demo-token-alice' } });
    expect(root.status).toBe(307);
    expect(root.headers.get('location')).toBe('http://jaeger.internal:16686/');
    const deep = await fetch(`${gw.baseUrl}/api/observability/jaeger/api/traces/abc?service=sage&limit=20`, { redirect: 'manual', headers: { authorization: 'Bearer demo-token-alice' } });
    expect(deep.status).toBe(307);
    expect(deep.headers.get('location')).toBe('http://jaeger.internal:16686/api/traces/abc?service=sage&limit=20');
    const post = await fetch(`${gw.baseUrl}/api/observability/jaeger/api/x`, { method: 'POST', redirect: 'manual', headers: { authorization: 'Bearer demo-token-alice', 'content-type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(307);
    const login = await fetch(`${gw.baseUrl}/api/observability/jaeger/login?next=/search`, { redirect: 'manual', headers: { authorization: 'Bearer demo-token-alice' } });
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe('http://jaeger.internal:16686/search');
    const away = await fetch(`${gw.baseUrl}/api/observability/jaeger/login?next=//evil.example`, { redirect: 'manual', headers: { authorization: 'Bearer demo-token-alice' } });
    expect(away.headers.get('location')).toBe('http://jaeger.internal:16686/');
  });

  it('a non-admin gets 403 权限不足, nobody gets 401', async () => {
    const bob = await asDemoUser(gw, 'bob').get('/api/observability/jaeger/auth');
    expect(bob.status).toBe(403);
    expect(bob.body).toMatchObject({ success: false, code: 403, message: '权限不足' });
    const deep = await asDemoUser(gw, 'bob').get('/api/observability/jaeger/api/traces', { headers: { 'X-Sage-Locale': 'en' } });
    expect(deep.status).toBe(403);
    expect(deep.body.message).toBe('Permission denied');
    const anon = await new SageClient(gw.baseUrl).get('/api/observability/jaeger/auth');
    expect(anon.status).toBe(401);
    expect(anon.body.message).toBe('未登录');
  });

  it('the bootstrap says observability is there', async () => {
    expect((await new SageClient(gw.baseUrl).get('/api/system/info')).body.data.observability_enabled).toBe(true);
  });
});

describe('the Jaeger gate, not configured', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startSageGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('404 with a clear message, for admins too', async () => {
    const res = await asDemoUser(gw).get('/api/observability/jaeger', { headers: { 'X-Sage-Locale': 'en' } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ success: false, code: 404, message: 'Jaeger is not configured (jaeger_url)' });
    expect((await asDemoUser(gw).get('/api/observability/jaeger/auth')).status).toBe(404);
  });
});
