import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { Principal } from '../../src/engine/records.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { alice, bob, startEngine, testConfig } from './harness.js';

const admin: Principal = { tenant: 'acme', userId: 'root', username: 'root', admin: true, via: 'token' };

/** What a user can still do with the logins they hold: a session cookie and a refresh token. */
async function loginsOf(engine: Engine, held: { cookie: string; refresh: string }) {
  const session = await engine.sessions.verify(held.cookie);
  const refresh = await engine.refreshTokens.rotate(held.refresh).then(
    () => 'valid',
    () => 'refused',
  );
  return { session: session?.userId ?? 'ended', refresh };
}

/**
 * The engine wires the directory to the login services: a password change,
 * an admin's reset and a removed user end every session and refresh token of
 * that user at once, and nobody else's.
 */
describe('ending every login of a user', () => {
  let engine: Engine;
  let store: MemoryStore;
  const login = async (who: Principal) => ({
    cookie: (await engine.sessions.create(who)).cookie,
    refresh: await engine.refreshTokens.issue(who),
  });

  beforeAll(async () => {
    store = await MemoryStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'sb-logins-')) });
    engine = await startEngine(store, testConfig('http://127.0.0.1:1/v1'));
    await engine.directory.resetPassword(admin, 'alice', 'alice-first-password');
  });
  afterAll(async () => {
    await engine.stop(0);
    await store.close();
  });

  it('a password change ends the user’s own sessions and refresh tokens, not other users’', async () => {
    const [aliceHeld, bobHeld] = [await login(alice), await login(bob)];
    await engine.directory.changePassword(alice, 'alice-first-password', 'alice-second-password');
    expect(await loginsOf(engine, aliceHeld)).toEqual({ session: 'ended', refresh: 'refused' });
    expect(await loginsOf(engine, bobHeld)).toEqual({ session: 'bob', refresh: 'valid' });
  });

  it('an admin’s reset does the same', async () => {
    const held = await login(alice);
    await engine.directory.resetPassword(admin, 'alice', 'alice-third-password');
    expect(await loginsOf(engine, held)).toEqual({ session: 'ended', refresh: 'refused' });
  });

  it('a deleted user keeps no login', async () => {
    const held = await login(bob);
    await engine.directory.deleteUser(admin, 'bob');
    expect(await loginsOf(engine, held)).toEqual({ session: 'ended', refresh: 'refused' });
  });
});
