import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OIDC_COLLECTIONS, recordKey, storeAdapter } from '../../src/oauth/store-adapter.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { memoryData, redisData, sqliteData } from './adapter-stores.js';
import { adapterSuite, adaptersOn, payloadOf } from './adapter-suite.js';
import { signIn } from './code-flow.js';
import { clientPost, deployment, SERVICE, startProvider, WEB_APP, WEB_APP_REDIRECT, type RunningProvider } from './provider.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

adapterSuite('memory', memoryData);
adapterSuite('sqlite', sqliteData);

describe('on a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  adapterSuite('Redis', redisData(() => redis.url));

  describe('two instances', () => {
    let prefix = 0;
    const stores: Store[] = [];
    const pair = (): [Store, Store] => {
      const keyPrefix = `pair${++prefix}:`;
      const both: [Store, Store] = [new RedisStore({ url: redis.url, keyPrefix }), new RedisStore({ url: redis.url, keyPrefix })];
      stores.push(...both);
      return both;
    };
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    it('lose no grant member when both add tokens to one grant at once', async () => {
      const [one, two] = pair().map(adaptersOn);
      const ids = Array.from({ length: 40 }, (_, n) => `at${n}`);
      await Promise.all(ids.map((id, n) => (n % 2 ? one! : two!).AccessToken.upsert(id, payloadOf('AccessToken', id, { grantId: 'shared' }), 600)));
      await two!.RefreshToken.revokeByGrantId('shared');
      for (const id of ids) expect(await one!.AccessToken.find(id)).toBeUndefined();
    });

    /** Two oidc-provider instances of one deployment, each on its own store instance of one data. */
    const providers: RunningProvider[] = [];
    afterEach(async () => {
      await Promise.all(providers.splice(0).map((p) => p.close()));
    });
    async function twoProviders() {
      const [storeA, storeB] = pair();
      const shared = deployment('http://auth.switchboard.test');
      // oidc-provider's default clockTolerance, which the records then outlive by as much.
      const a = await startProvider(storeAdapter(storeA, { clockTolerance: 15 }), shared);
      providers.push(a);
      const b = await startProvider(storeAdapter(storeB, { clockTolerance: 15 }), shared);
      providers.push(b);
      return { storeA, storeB, a: a.url, b: b.url };
    }

    it('serve one client_credentials token from two oidc-provider instances: issued by one, introspected and revoked at the other', async () => {
      const { storeA, storeB, a, b } = await twoProviders();
      const issued = await clientPost(SERVICE, `${a}/token`, { grant_type: 'client_credentials', scope: 'api:read' });
      expect(issued).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 600 } });
      const token = issued.body.access_token as string;
      const stored = await storeB.get<{ payload: Record<string, unknown> }>(OIDC_COLLECTIONS.record, recordKey('ClientCredentials', token));
      expect(stored?.value.payload).toMatchObject({ kind: 'ClientCredentials', clientId: SERVICE.id, scope: 'api:read' });
      expect(JSON.stringify(stored)).not.toContain(token);

      const seen = await clientPost(SERVICE, `${b}/token/introspection`, { token });
      expect(seen).toMatchObject({ status: 200, body: { active: true, client_id: SERVICE.id, scope: 'api:read', token_type: 'Bearer' } });
      expect((await clientPost(SERVICE, `${b}/token/revocation`, { token })).status).toBe(200);
      expect(await clientPost(SERVICE, `${a}/token/introspection`, { token })).toMatchObject({ status: 200, body: { active: false } });
      expect(await storeA.get(OIDC_COLLECTIONS.record, recordKey('ClientCredentials', token))).toBeUndefined();
    });

    it('carry one sign-in across two oidc-provider instances, and a replayed code revokes every token it gave', async () => {
      const { a, b } = await twoProviders();
      // Each hop (authorize, login, resume, consent, resume) served by the other instance than the one before.
      const { code, verifier } = await signIn([a, b], 'ada', 'openid offline_access');
      const exchange = { grant_type: 'authorization_code', code, redirect_uri: WEB_APP_REDIRECT, code_verifier: verifier };
      const tokens = await clientPost(WEB_APP, `${b}/token`, exchange);
      expect(tokens).toMatchObject({
        status: 200,
        body: { access_token: expect.any(String), refresh_token: expect.any(String), id_token: expect.any(String), scope: 'openid offline_access' },
      });
      const accessToken = tokens.body.access_token as string;
      const refreshToken = tokens.body.refresh_token as string;
      expect(await clientPost(WEB_APP, `${a}/token/introspection`, { token: accessToken })).toMatchObject({
        status: 200,
        body: { active: true, sub: 'ada', client_id: WEB_APP.id },
      });
      const refreshed = await clientPost(WEB_APP, `${a}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken });
      expect(refreshed).toMatchObject({ status: 200, body: { access_token: expect.any(String) } });
      const later = refreshed.body.access_token as string;

      // The code was consumed at b: a sees that, refuses it, and revokes the grant's tokens on every instance.
      expect(await clientPost(WEB_APP, `${a}/token`, exchange)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      for (const token of [accessToken, later, refreshToken, refreshed.body.refresh_token as string | undefined]) {
        if (token === undefined) continue;
        expect(await clientPost(WEB_APP, `${b}/token/introspection`, { token })).toMatchObject({ status: 200, body: { active: false } });
      }
    });
  });
});

describe('on a redis-server restarted from its append-only file', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ persistence: 'aof-always' });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('keeps records, lookups, consumption, grants and expiries across the restart', { timeout: 30_000 }, async () => {
    const keyPrefix = 'aof:';
    const before = new RedisStore({ url: redis.url, keyPrefix });
    const a = adaptersOn(before);
    await a.Session.upsert('s1', payloadOf('Session', 's1', { uid: 'uid-1' }), 600);
    await a.DeviceCode.upsert('dc1', payloadOf('DeviceCode', 'dc1', { userCode: 'AFTER-1', grantId: 'g1' }), 600);
    await a.AuthorizationCode.upsert('code1', payloadOf('AuthorizationCode', 'code1', { grantId: 'g1' }), 600);
    await a.AuthorizationCode.consume('code1');
    await a.RefreshToken.upsert('rt1', payloadOf('RefreshToken', 'rt1', { grantId: 'g1' }), 600);
    const shortEnds = Date.now() + 3_000;
    await a.AccessToken.upsert('short', payloadOf('AccessToken', 'short', { grantId: 'g2' }), 3);
    await before.close();

    await redis.kill();
    await redis.restart();

    const after = new RedisStore({ url: redis.url, keyPrefix });
    try {
      const b = adaptersOn(after);
      expect((await b.Session.findByUid('uid-1'))?.jti).toBe('s1');
      expect((await b.DeviceCode.findByUserCode('AFTER-1'))?.jti).toBe('dc1');
      expect((await b.AuthorizationCode.find('code1'))?.consumed).toEqual(expect.any(Number));
      expect((await b.AccessToken.find('short'))?.jti).toBe('short');
      await b.AccessToken.revokeByGrantId('g1');
      for (const [model, id] of [['DeviceCode', 'dc1'], ['AuthorizationCode', 'code1'], ['RefreshToken', 'rt1']] as const) {
        expect(await b[model].find(id)).toBeUndefined();
      }
      // The expiry went through the restart too.
      await sleep(shortEnds + 200 - Date.now());
      expect(await b.AccessToken.find('short')).toBeUndefined();
      expect(await after.get(OIDC_COLLECTIONS.record, recordKey('AccessToken', 'short'))).toBeUndefined();
    } finally {
      await after.close();
    }
  });
});
