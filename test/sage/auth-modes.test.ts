/**
 * Sage identity beyond the password form: the trusted-proxy header (believed
 * only in trusted_proxy mode and only from a configured proxy address),
 * password login limited to admins in that mode (oauth mode: upstream-login.test.ts), and
 * the login flow on both stores (Redis: shared by two gateways).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { SageClient, startSageGateway } from './client.js';

const PROXY = { 'X-Sage-Internal-UserId': 'im-user-7' };

describe('trusted_proxy mode, from a trusted address', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startSageGateway({
      configure: (raw) => {
        raw.dialects.sage.auth_mode = 'trusted_proxy';
        raw.dialects.sage.trusted_proxies = ['127.0.0.1'];
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('the header names the user, who is created on first sight and is the same user next time', async () => {
    const client = new SageClient(gw.baseUrl);
    const first = await client.get('/api/auth/session', { headers: PROXY });
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.user).toMatchObject({ userid: 'im-user-7', role: 'user' });
    await client.post('/api/user/config', { config: { from: 'proxy' } }, { headers: PROXY });
    const again = await client.get('/api/user/config', { headers: PROXY });
    expect(again.body.data).toEqual({ config: { from: 'proxy' } });
  });

  it('an existing user is found by id, and a header that is not an id is refused', async () => {
    const alice = await new SageClient(gw.baseUrl).get('/api/auth/session', { headers: { 'X-Sage-Internal-UserId': 'alice' } });
    expect(alice.body.data.user).toMatchObject({ userid: 'alice', role: 'admin' });
    const bad = await new SageClient(gw.baseUrl).get('/api/auth/session', { headers: { 'X-Sage-Internal-UserId': 'a b/c' } });
    expect(bad.status).toBe(401);
    expect(bad.body.message).toBe('未登录');
  });

  it('password login is for admins only; registration is off', async () => {
    const admin = await new SageClient(gw.baseUrl).post('/api/auth/login', { username_or_email: 'alice', password: 'alice-password' });
    expect(admin.status, admin.text).toBe(200);
    const bob = await new SageClient(gw.baseUrl).post('/api/auth/login', { username_or_email: 'bob', password: 'bob-password' }, { headers: { 'X-Sage-Locale': 'en' } });
    expect(bob.status).toBe(403);
    expect(bob.body.message).toBe('In this mode only administrators may log in with a password');
    const info = await new SageClient(gw.baseUrl).get('/api/system/info');
    expect(info.body.data).toMatchObject({ allow_registration: false, auth_providers: [expect.objectContaining({ id: 'native' })] });
  });
});

describe('trusted_proxy mode, from an address outside the trusted range', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startSageGateway({
      configure: (raw) => {
        raw.dialects.sage.auth_mode = 'trusted_proxy';
        raw.dialects.sage.trusted_proxies = ['10.0.0.0/8', '192.168.1.1'];
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('the header is not believed: 401, and no user is created', async () => {
    const res = await new SageClient(gw.baseUrl).get('/api/auth/session', { headers: PROXY });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ success: false, code: 401, message: '未登录' });
    // A forwarded address does not make the request come from the proxy either.
    const forwarded = await new SageClient(gw.baseUrl).get('/api/auth/session', { headers: { ...PROXY, 'X-Forwarded-For': '10.1.2.3' } });
    expect(forwarded.status).toBe(401);
  });
});

describe('native mode ignores the proxy header', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startSageGateway({ configure: (raw) => void (raw.dialects.sage.trusted_proxies = ['127.0.0.1']) });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('401 with only the header', async () => {
    expect((await new SageClient(gw.baseUrl).get('/api/auth/session', { headers: PROXY })).status).toBe(401);
  });
});

for (const kind of ['memory', 'redis'] as const) {
  describe(`the login flow on the ${kind} store`, () => {
    let redis: RedisServer | undefined;
    let gw: TestGateway;
    let other: TestGateway | undefined;
    beforeAll(async () => {
      redis = kind === 'redis' ? await startRedis() : undefined;
      gw = await startSageGateway({ store: kind, redisUrl: redis?.url });
      other = redis ? await startSageGateway({ store: kind, redisUrl: redis.url }) : undefined;
    });
    afterAll(async () => {
      await other?.stop();
      await gw?.stop();
      await redis?.stop();
    });

    it('login, cookie session, refresh, logout', async () => {
      const client = new SageClient(gw.baseUrl);
      const login = await client.post('/api/auth/login', { username_or_email: 'alice', password: 'alice-password' });
      expect(login.status, login.text).toBe(200);
      expect((await client.get('/api/auth/session')).body.data.user.username).toBe('alice');
      if (other) {
        // Another instance on the same store accepts the cookie and the token.
        const cookie = `sage_session=${client.cookie('sage_session')}; sage_session.sig=${client.cookie('sage_session.sig')}`;
        expect((await new SageClient(other.baseUrl).get('/api/auth/session', { headers: { cookie } })).status).toBe(200);
        expect((await new SageClient(other.baseUrl, login.body.data.access_token).get('/api/auth/session')).status).toBe(200);
      }
      const refreshed = await client.post('/api/user/refresh-token', { refresh_token: login.body.data.refresh_token });
      expect(refreshed.status, refreshed.text).toBe(200);
      expect((await client.post('/api/auth/logout')).status).toBe(200);
      expect((await client.get('/api/auth/session')).status).toBe(401);
    });
  });
}
