/**
 * Logout ends the whole login it names: the cookie session, the access
 * tokens and the refresh tokens, whether the client logs out with its cookie
 * or with its Bearer token, on either logout path. Other logins of the same
 * user go on; a password change ends them all. On the memory and the Redis store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { SageClient, startSageGateway } from './client.js';

interface Login {
  client: SageClient;
  access: string;
  refresh: string;
}

logoutSuite('memory', async () => ({ gw: await startSageGateway(), stop: async () => undefined }));
logoutSuite('redis', async () => {
  const redis: RedisServer = await startRedis();
  return { gw: await startSageGateway({ store: 'redis', redisUrl: redis.url }), stop: () => redis.stop() };
});

function logoutSuite(store: string, start: () => Promise<{ gw: TestGateway; stop: () => Promise<void> }>): void {
  describe(`logout ends the access and refresh tokens of its login (${store} store)`, () => {
    let gw: TestGateway;
    let stopStore: () => Promise<void> = async () => undefined;
    beforeAll(async () => {
      ({ gw, stop: stopStore } = await start());
    });
    afterAll(async () => {
      await gw?.stop();
      await stopStore();
    });

    async function login(who = 'bob'): Promise<Login> {
      const client = new SageClient(gw.baseUrl);
      const res = await client.post('/api/auth/login', { username_or_email: who, password: `${who}-password` });
      expect(res.status, res.text).toBe(200);
      return { client, access: res.body.data.access_token, refresh: res.body.data.refresh_token };
    }

    const sessionWith = (token: string) => new SageClient(gw.baseUrl, token).get('/api/auth/session');
    const refreshWith = (token: string) => new SageClient(gw.baseUrl).post('/api/user/refresh-token', { refresh_token: token });

    async function expectEnded(ended: Login): Promise<void> {
      const session = await sessionWith(ended.access);
      expect(session.status).toBe(401);
      expect(session.body).toMatchObject({ success: false, code: 401, message: '未登录', error_detail: 'unauthenticated' });
      const refreshed = await refreshWith(ended.refresh);
      expect(refreshed.status).toBe(401);
      expect(refreshed.body.message).toBe('刷新令牌无效或已过期');
      expect((await ended.client.get('/api/auth/session', { token: null })).status).toBe(401);
    }

    async function expectLive(live: Login): Promise<void> {
      expect((await sessionWith(live.access)).status).toBe(200);
      expect((await live.client.get('/api/auth/session', { token: null })).status).toBe(200);
    }

    for (const path of ['/api/auth/logout', '/api/user/logout']) {
      it(`${path} with the Bearer token alone`, async () => {
        const ending = await login();
        const other = await login();
        expect((await sessionWith(ending.access)).status).toBe(200);
        const out = await new SageClient(gw.baseUrl, ending.access).post(path);
        expect(out.status, out.text).toBe(200);
        await expectEnded(ending);
        await expectLive(other);
      });

      it(`${path} with the cookie alone`, async () => {
        const ending = await login();
        const other = await login();
        const out = await ending.client.post(path, undefined, { token: null });
        expect(out.status, out.text).toBe(200);
        await expectEnded(ending);
        await expectLive(other);
      });
    }

    it('an access token from a refresh belongs to the same login and ends with it', async () => {
      const first = await login();
      const refreshed = await refreshWith(first.refresh);
      expect(refreshed.status, refreshed.text).toBe(200);
      const next: Login = { client: first.client, access: refreshed.body.data.access_token, refresh: refreshed.body.data.refresh_token };
      expect((await sessionWith(next.access)).status).toBe(200);
      // The older access token of the login is still good until the login ends.
      expect((await sessionWith(first.access)).status).toBe(200);
      expect((await new SageClient(gw.baseUrl, next.access).post('/api/auth/logout')).status).toBe(200);
      await expectEnded(next);
      expect((await sessionWith(first.access)).status).toBe(401);
    });

    it('a password change ends the access tokens of every login of the user', async () => {
      const admin = new SageClient(gw.baseUrl, 'demo-token-alice');
      expect((await admin.post('/api/user/add', { username: 'dora', password: 'dora-password', email: 'dora@example.com' })).status).toBe(200);
      const first = await login('dora');
      const second = await login('dora');
      const changed = await new SageClient(gw.baseUrl, first.access).post('/api/user/change-password', { old_password: 'dora-password', new_password: 'dora-new-password' });
      expect(changed.status, changed.text).toBe(200);
      await expectEnded(first);
      await expectEnded(second);
    });

    it('a refresh token reused after rotation ends the access tokens of its login too', async () => {
      const first = await login();
      expect((await refreshWith(first.refresh)).status).toBe(200);
      expect((await refreshWith(first.refresh)).status).toBe(401);
      expect((await sessionWith(first.access)).status).toBe(401);
    });

    it('logging out a token that already ended is a 401, and static tokens are unaffected by others logging out', async () => {
      const ended = await login();
      expect((await new SageClient(gw.baseUrl, ended.access).post('/api/auth/logout')).status).toBe(200);
      expect((await new SageClient(gw.baseUrl, ended.access).post('/api/auth/logout')).status).toBe(401);
      const demo = new SageClient(gw.baseUrl, 'demo-token-bob');
      expect((await demo.post('/api/auth/logout')).status).toBe(200);
      expect((await demo.get('/api/auth/session')).status).toBe(200);
    });
  });
}
