import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/engine/records.js';
import { sha256 } from '../../src/engine/secrets.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };

/** Status of an Agents v1 call that needs nothing but a valid user token (the file listing reads only the disk). */
async function filesWith(gw: TestGateway, token: string): Promise<number> {
  return (await fetch(`${gw.baseUrl}/api/v1/files`, { headers: { authorization: `Bearer ${token}` } })).status;
}

/** The signal crosses Redis pub/sub: it reaches the other instance a moment after the write, far within the cache's minute. */
const SIGNAL_BOUND_MS = 1_000;

/** Asks until `gw` refuses `token`; the time it took (fails past the bound). */
async function refusedWithin(gw: TestGateway, token: string): Promise<number> {
  const started = Date.now();
  while ((await filesWith(gw, token)) !== 401) {
    if (Date.now() - started > SIGNAL_BOUND_MS) throw new Error(`still accepted ${SIGNAL_BOUND_MS} ms after the change`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

/**
 * Two gateways on one Redis, each keeping the credentials it verified: a
 * change made through one reaches the other's cache through the store, so
 * the other refuses, as soon as the signal arrives, what it accepted a moment
 * before.
 */
describe('credential caches of gateways sharing one Redis', () => {
  let redis: RedisServer;
  let one: TestGateway;
  let other: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    // The cache outlives the test: only the change signal can explain a refusal.
    const configure = (raw: Record<string, any>) => (raw.auth = { ...raw.auth, cache_ms: 60_000 }); // eslint-disable-line @typescript-eslint/no-explicit-any
    one = await startTestGateway({ store: 'redis', redisUrl: redis.url, configure });
    other = await startTestGateway({ store: 'redis', redisUrl: redis.url, configure });
  });
  afterAll(async () => {
    await other?.stop();
    await one?.stop();
    await redis?.stop();
  });
  const directory = () => one.gateway.engine.directory;

  /** A token only `other`'s cache still knows (its credential deleted behind the directory's back). */
  async function cachedOnlyOnOther(): Promise<string> {
    const token = await directory().issueToken(alice, 'bob');
    expect(await filesWith(other, token)).toBe(200);
    await one.gateway.store.delete('cred', sha256(token));
    expect(await filesWith(other, token)).toBe(200);
    return token;
  }

  it('refuses on the second gateway, once the signal arrives, a token revoked through the first', async () => {
    const token = await directory().issueToken(alice, 'bob');
    const kept = await cachedOnlyOnOther();
    expect(await filesWith(other, token)).toBe(200);
    await directory().revokeCredentialHash(sha256(token));
    expect(await refusedWithin(other, token)).toBeLessThan(SIGNAL_BOUND_MS);
    // The whole cache went: the token only it still knew is refused too.
    expect(await filesWith(other, kept)).toBe(401);
  });

  it('refuses on the second gateway, once the signal arrives, the token of a user removed through the first', async () => {
    await directory().createUser(alice, { id: 'carol', username: 'carol' });
    const token = await directory().issueToken(alice, 'carol');
    expect(await filesWith(other, token)).toBe(200);
    await directory().deleteUser(alice, 'carol');
    expect(await refusedWithin(other, token)).toBeLessThan(SIGNAL_BOUND_MS);
  });
});
