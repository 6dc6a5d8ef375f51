/**
 * Sage logins as its web UI and the document's curl examples use them:
 * login by username or email (tokens + the session cookie), cookie-only and
 * bearer-only requests, logout, refresh, the compatibility paths, and the
 * 401/403 words in both languages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { asDemoUser, SageClient, startSageGateway } from './client.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startSageGateway();
});
afterAll(async () => {
  await gw?.stop();
});

async function login(client: SageClient, who = 'alice', password = `${who}-password`, path = '/api/auth/login') {
  const res = await client.post(path, { username_or_email: who, password });
  expect(res.status, res.text).toBe(200);
  return res;
}

describe('login', () => {
  it('answers tokens in the auth envelope (no success field) and sets the HttpOnly, SameSite=Lax session cookie', async () => {
    const client = new SageClient(gw.baseUrl);
    const res = await login(client);
    expect(res.body).toMatchObject({ code: 200, message: 'success', timestamp: expect.any(Number) });
    expect(res.body.success).toBeUndefined();
    expect(res.body.data).toMatchObject({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), refresh_token: expect.any(String), expires_in: 86_400 });
    const cookie = res.headers.getSetCookie().find((line) => line.startsWith('sage_session='));
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    expect(client.cookie('sage_session')).toBeTruthy();
  });

  it('curl examples 2 and 3: login saves the cookie, the cookie alone reads the session', async () => {
    const client = new SageClient(gw.baseUrl);
    await login(client);
    const session = await client.get('/api/auth/session', { token: null });
    expect(session.status, session.text).toBe(200);
    expect(session.body.success).toBeUndefined();
    expect(session.body.data).toEqual({
      user: { userid: 'alice', username: 'alice', nickname: 'alice', role: 'admin', email: 'alice@example.com', phonenum: '', avatar: '', avatar_url: '' },
      has_provider: true,
      has_agent: true,
    });
  });

  it('logs in by email too, and the access token alone works without the cookie', async () => {
    const res = await login(new SageClient(gw.baseUrl), 'bob@example.com', 'bob-password');
    const bearerOnly = new SageClient(gw.baseUrl, res.body.data.access_token);
    const session = await bearerOnly.get('/api/auth/session');
    expect(session.status, session.text).toBe(200);
    expect(session.body.data.user).toMatchObject({ userid: 'bob', role: 'user' });
  });

  it('refuses a wrong password or an unknown user with 401 and the same words', async () => {
    const client = new SageClient(gw.baseUrl);
    const wrong = await client.post('/api/auth/login', { username_or_email: 'alice', password: 'nope-nope' });
    const unknown = await client.post('/api/auth/login', { username_or_email: 'nobody', password: 'nope-nope' }, { headers: { 'X-Sage-Locale': 'en' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ success: false, code: 401, message: '用户名或密码错误', error_detail: 'unauthenticated' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toBe('Incorrect username or password');
    expect(client.cookie('sage_session')).toBeUndefined();
  });

  it('answers 400 for a missing field or a body that is not an object', async () => {
    const client = new SageClient(gw.baseUrl);
    const missing = await client.post('/api/auth/login', { password: 'x' }, { headers: { 'Accept-Language': 'en-US' } });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ success: false, code: 400, message: 'username_or_email is required' });
    const array = await client.post('/api/auth/login', [1, 2]);
    expect(array.status).toBe(400);
    expect(array.body.code).toBe(400);
  });

  it('the compatibility path /api/user/login and /api/user/check_login work the same', async () => {
    const client = new SageClient(gw.baseUrl);
    await login(client, 'bob', 'bob-password', '/api/user/login');
    const check = await client.get('/api/user/check_login');
    expect(check.status, check.text).toBe(200);
    expect(check.body.success).toBeUndefined();
    expect(check.body.data.user.username).toBe('bob');
  });
});

describe('logout and refresh', () => {
  it('logout ends the cookie session at once, even for a copy of the cookie kept elsewhere', async () => {
    const client = new SageClient(gw.baseUrl);
    await login(client);
    const copy = `sage_session=${client.cookie('sage_session')}; sage_session.sig=${client.cookie('sage_session.sig')}`;
    const out = await client.post('/api/auth/logout');
    expect(out.status, out.text).toBe(200);
    expect(out.body).toMatchObject({ code: 200, data: {} });
    expect(client.cookie('sage_session')).toBeUndefined();
    expect((await client.get('/api/auth/session')).status).toBe(401);
    const replay = await new SageClient(gw.baseUrl).get('/api/auth/session', { headers: { cookie: copy } });
    expect(replay.status).toBe(401);
  });

  it('a tampered cookie is not accepted', async () => {
    const client = new SageClient(gw.baseUrl);
    await login(client);
    const forged = `sage_session=${client.cookie('sage_session')}x; sage_session.sig=${client.cookie('sage_session.sig')}`;
    expect((await new SageClient(gw.baseUrl).get('/api/auth/session', { headers: { cookie: forged } })).status).toBe(401);
  });

  it('/api/user/refresh-token rotates: new tokens once, the old refresh token is then refused', async () => {
    const first = await login(new SageClient(gw.baseUrl));
    const anon = new SageClient(gw.baseUrl);
    const refreshed = await anon.post('/api/user/refresh-token', { refresh_token: first.body.data.refresh_token });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body).toMatchObject({ success: true, code: 200 });
    expect(refreshed.body.data.refresh_token).not.toBe(first.body.data.refresh_token);
    const session = await new SageClient(gw.baseUrl, refreshed.body.data.access_token).get('/api/auth/session');
    expect(session.status).toBe(200);
    const again = await anon.post('/api/user/refresh-token', { refresh_token: first.body.data.refresh_token }, { headers: { 'X-Sage-Locale': 'en' } });
    expect(again.status).toBe(401);
    expect(again.body.message).toBe('The refresh token is invalid or expired');
  });

  it('/api/user/profile answers the user object', async () => {
    const res = await asDemoUser(gw, 'bob').get('/api/user/profile');
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toMatchObject({ userid: 'bob', username: 'bob', role: 'user', email: 'bob@example.com' });
  });
});

describe('401 in both languages', () => {
  it('no credentials: 未登录 by default, Not logged in for English callers', async () => {
    const anon = new SageClient(gw.baseUrl);
    const zh = await anon.get('/api/auth/session');
    expect(zh.status).toBe(401);
    expect(zh.body).toMatchObject({ success: false, code: 401, message: '未登录', error_detail: 'unauthenticated' });
    const en = await anon.get('/api/user/config', { headers: { 'Accept-Language': 'en-US,en;q=0.9' } });
    expect(en.status).toBe(401);
    expect(en.body.message).toBe('Not logged in');
    const header = await anon.post('/api/user/change-password', {}, { headers: { 'X-Sage-Locale': 'en', 'Accept-Language': 'zh-CN' } });
    expect(header.body.message).toBe('Not logged in');
  });

  it('a garbage or foreign bearer token is a 401 too', async () => {
    const res = await new SageClient(gw.baseUrl, 'not-a-token').get('/api/auth/session');
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('未登录');
  });
});

describe('providers and system bootstrap', () => {
  it('lists the native provider on both provider paths and in /api/system/info', async () => {
    const anon = new SageClient(gw.baseUrl);
    for (const path of ['/api/auth/providers', '/api/user/auth-providers']) {
      const res = await anon.get(path);
      expect(res.status, res.text).toBe(200);
      expect(res.body.data.auth_providers).toEqual([expect.objectContaining({ id: 'native', type: 'native', name: expect.any(String) })]);
    }
    const info = await anon.get('/api/system/info');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ success: true, code: 200, data: { allow_registration: true, auth_providers: [expect.objectContaining({ id: 'native' })] } });
  });

  it('/api/health answers without a login', async () => {
    const res = await new SageClient(gw.baseUrl).get('/api/health');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ status: 'healthy', timestamp: expect.any(String), service: 'sage' });
  });

  it('upstream login is a clear error outside oauth mode', async () => {
    const anon = new SageClient(gw.baseUrl);
    const byId = await anon.get('/api/auth/upstream/login/github', { headers: { 'X-Sage-Locale': 'en' } });
    expect(byId.status).toBe(404);
    expect(byId.body.message).toBe('Auth provider not found');
    const plain = await anon.get('/api/user/oauth/login');
    expect(plain.status).toBe(400);
    expect(plain.body).toMatchObject({ success: false, code: 400 });
  });
});

describe('change password', () => {
  it('needs the old password, then only the new one logs in and older sessions end', async () => {
    const admin = asDemoUser(gw, 'alice');
    const created = await admin.post('/api/user/add', { username: 'carol', password: 'carol-password', email: 'carol@example.com' });
    expect(created.status, created.text).toBe(200);
    const carol = new SageClient(gw.baseUrl);
    await login(carol, 'carol');
    const wrong = await carol.post('/api/user/change-password', { old_password: 'bad-password', new_password: 'carol-new-password' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe('原密码错误');
    const ok = await carol.post('/api/user/change-password', { old_password: 'carol-password', new_password: 'carol-new-password' });
    expect(ok.status, ok.text).toBe(200);
    expect((await carol.get('/api/auth/session', { token: null })).status).toBe(401);
    await login(new SageClient(gw.baseUrl), 'carol', 'carol-new-password');
  });
});
