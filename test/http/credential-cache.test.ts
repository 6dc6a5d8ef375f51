import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../../src/engine/directory.js';
import type { Principal } from '../../src/engine/records.js';
import { sha256 } from '../../src/engine/secrets.js';
import { CredentialCache } from '../../src/http/credential-cache.js';
import type { Caller } from '../../src/http/credentials.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };

/** Status of an Agents v1 call that needs nothing but a valid user token (the file listing reads only the disk). */
async function filesWith(gw: TestGateway, token: string): Promise<number> {
  return (await fetch(`${gw.baseUrl}/api/v1/files`, { headers: { authorization: `Bearer ${token}` } })).status;
}

/** Status of the bit-Agent call that takes a tenant API key. */
async function userTokenWith(gw: TestGateway, key: string): Promise<number> {
  const res = await fetch(`${gw.baseUrl}/api/v3/openapi/auth/user-token`, {
    method: 'POST',
    headers: { authorization: key, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: 'bob', tenant_code: 'demo' }),
  });
  return res.status;
}

/**
 * A token that only this gateway's cache still knows: used once (verified
 * and kept), then its credential is deleted from the store directly, which
 * no directory write announces. It works exactly as long as the cache holds
 * it, so it shows whether a change cleared the cache.
 */
async function cachedOnly(gw: TestGateway): Promise<string> {
  const token = await gw.gateway.engine.directory.issueToken(alice, 'bob');
  expect(await filesWith(gw, token)).toBe(200);
  await gw.gateway.store.delete('cred', sha256(token));
  expect(await filesWith(gw, token)).toBe(200);
  return token;
}

describe('the credential cache of a gateway', () => {
  let gw: TestGateway;
  /** The user the changes below are made to, and its password now. */
  const subject: Principal = { tenant: 'demo', userId: 'subject', username: 'subject', admin: false, via: 'password' };
  let password = 'first-password';
  beforeAll(async () => {
    gw = await startTestGateway();
    await gw.gateway.engine.directory.createUser(alice, { id: subject.userId, username: subject.username, password });
  });
  afterAll(async () => {
    await gw?.stop();
  });
  const directory = () => gw.gateway.engine.directory;
  const current = async (d: Directory) => (await d.getUser('demo', subject.userId))!;

  it('refuses a revoked token at once', async () => {
    const token = await directory().issueToken(alice, 'bob');
    expect(await filesWith(gw, token)).toBe(200);
    await directory().revokeCredentialHash(sha256(token));
    expect(await filesWith(gw, token)).toBe(401);
  });

  it('refuses the token of a removed user at once', async () => {
    await directory().createUser(alice, { id: 'leaving', username: 'leaving' });
    const token = await directory().issueToken(alice, 'leaving');
    expect(await filesWith(gw, token)).toBe(200);
    await directory().deleteUser(alice, 'leaving');
    expect(await filesWith(gw, token)).toBe(401);
  });

  it('keeps no failed check: a credential issued just after being refused works at once', async () => {
    const secret = 'sbt_issued-after-a-refusal';
    expect(await filesWith(gw, secret)).toBe(401);
    await directory().putCredential(secret, { kind: 'token', tenant: 'demo', userId: 'bob', source: 'runtime', createdAt: Date.now() });
    expect(await filesWith(gw, secret)).toBe(200);
  });

  it('keeps API keys too, and refuses a revoked one at once', async () => {
    const key = 'sbk_cached-api-key';
    await directory().putCredential(key, { kind: 'api_key', tenant: 'demo', source: 'runtime', createdAt: Date.now() });
    expect(await userTokenWith(gw, key)).toBe(200);
    await directory().revokeCredentialHash(sha256(key));
    expect(await userTokenWith(gw, key)).toBe(401);
  });

  // Each a real change whatever ran before it.
  const changes: Array<[string, (d: Directory) => Promise<unknown>]> = [
    ['another token revoked', async (d) => d.revokeCredentialHash(sha256(await d.issueToken(alice, 'bob')))],
    ['a token given to another user', async (d) => {
      const secret = `sbt_moving-${Date.now()}`;
      await d.putCredential(secret, { kind: 'token', tenant: 'demo', userId: subject.userId, source: 'runtime', createdAt: 1 });
      await d.putCredential(secret, { kind: 'token', tenant: 'demo', userId: 'alice', source: 'runtime', createdAt: 1 });
    }],
    ['an admin flag changed', async (d) => d.updateUser(alice, subject.userId, { admin: !(await current(d)).admin })],
    ['a user renamed', async (d) => d.updateUser(alice, subject.userId, { username: `${(await current(d)).username}-renamed` })],
    ['a password reset', async (d) => d.resetPassword(alice, subject.userId, (password = `${password}-reset`))],
    ['a password changed', async (d) => d.changePassword(subject, password, (password = `${password}-changed`))],
    ['a user written over with another admin flag', async (d) => d.putUser({ ...(await current(d)), admin: !(await current(d)).admin })],
    ['a tenant renamed', async (d) => d.putTenant({ ...(await d.getTenant('demo'))!, name: `renamed ${Date.now()}` })],
    ['a user removed', async (d) => (await d.createUser(alice, { id: 'gone', username: 'gone' }), d.deleteUser(alice, 'gone'))],
  ];
  for (const [name, change] of changes) {
    it(`forgets every verified credential after ${name}`, async () => {
      const token = await cachedOnly(gw);
      await change(directory());
      expect(await filesWith(gw, token)).toBe(401);
    });
  }

  const harmless: Array<[string, (d: Directory) => Promise<unknown>]> = [
    ['a new token', (d) => d.issueToken(alice, 'bob')],
    ['a new user', (d) => d.createUser(alice, { id: 'newcomer', username: 'newcomer' })],
    ['a user written again as it is', async (d) => d.putUser((await d.getUser('demo', 'alice'))!)],
    ['a tenant written again as it is', async (d) => d.putTenant((await d.getTenant('demo'))!)],
    ['a credential written again for its owner', (d) => d.putCredential('demo-token-alice', { kind: 'token', tenant: 'demo', userId: 'alice', source: 'config', createdAt: 1 })],
  ];
  for (const [name, change] of harmless) {
    it(`keeps what it verified after ${name}`, async () => {
      const token = await cachedOnly(gw);
      await change(directory());
      expect(await filesWith(gw, token)).toBe(200);
    });
  }

  it('asks the store every time with auth.cache_ms 0', async () => {
    const uncached = await startTestGateway({ configure: (raw) => (raw.auth = { ...raw.auth, cache_ms: 0 }) });
    try {
      const token = await uncached.gateway.engine.directory.issueToken(alice, 'bob');
      expect(await filesWith(uncached, token)).toBe(200);
      await uncached.gateway.store.delete('cred', sha256(token));
      expect(await filesWith(uncached, token)).toBe(401);
    } finally {
      await uncached.stop();
    }
  });
});

describe('CredentialCache', () => {
  let store: MemoryStore;
  beforeAll(async () => {
    store = await MemoryStore.open();
  });
  afterAll(async () => {
    await store.close();
  });
  const caller = (userId: string): Caller => ({ kind: 'user', principal: { ...alice, userId } });

  /** A verifier that proves `userId` and counts how often it was asked. */
  function verifier(userId: string) {
    const asked = { count: 0 };
    return { asked, verify: async () => (asked.count++, caller(userId)) };
  }

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new CredentialCache({ ttlMs: 60_000, changes: new Directory(store), maxEntries: 2 });
    const [one, two, three] = [verifier('one'), verifier('two'), verifier('three')];
    await cache.verify('static_token', 'secret-one', one.verify);
    await cache.verify('static_token', 'secret-two', two.verify);
    await cache.verify('static_token', 'secret-one', one.verify);
    await cache.verify('static_token', 'secret-three', three.verify);
    expect(cache.size).toBe(2);
    // `two` was the least recently used: asked again; `one` and `three` were kept.
    for (const [secret, v] of [['secret-one', one], ['secret-three', three], ['secret-two', two]] as const) await cache.verify('static_token', secret, v.verify);
    expect([one.asked.count, two.asked.count, three.asked.count]).toEqual([1, 2, 1]);
  });

  it('keeps a verification apart per scheme', async () => {
    const cache = new CredentialCache({ ttlMs: 60_000, changes: new Directory(store) });
    await cache.verify('static_token', 'shared secret', verifier('user').verify);
    const asApiKey = await cache.verify('api_key', 'shared secret', async () => undefined);
    expect(asApiKey).toBeUndefined();
  });

  it('does not keep a verification that was under way when the cache was cleared', async () => {
    const directory = new Directory(store);
    const cache = new CredentialCache({ ttlMs: 60_000, changes: directory });
    let finish!: () => void;
    const slow = cache.verify('static_token', 'secret', () => new Promise<Caller>((resolve) => (finish = () => resolve(caller('before')))));
    // A directory change lands while the check is still reading.
    await directory.putTenant({ code: 'acme', name: 'Acme', createdAt: 1 });
    await directory.putTenant({ code: 'acme', name: 'Acme renamed', createdAt: 1 });
    finish();
    expect(await slow).toEqual(caller('before'));
    const again = verifier('after');
    expect(await cache.verify('static_token', 'secret', again.verify)).toEqual(caller('after'));
    expect(again.asked.count).toBe(1);
  });

  it('hands out callers no request can change for the others', async () => {
    const cache = new CredentialCache({ ttlMs: 60_000, changes: new Directory(store) });
    await cache.verify('static_token', 'frozen', verifier('frozen').verify);
    const kept = (await cache.verify('static_token', 'frozen', verifier('other').verify)) as Extract<Caller, { kind: 'user' }>;
    expect(() => ((kept.principal as { admin: boolean }).admin = false)).toThrow(TypeError);
  });
});
