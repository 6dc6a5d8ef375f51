/**
 * What an upstream OpenID login keeps on the store, on the memory and the
 * Redis store: a pending login taken back exactly once by its state (also
 * when two callbacks race), nothing for an unknown or expired state, and an
 * upstream account linked to one user however many first logins race.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Directory } from '../../src/engine/directory.js';
import { PendingLogins } from '../../src/engine/pending-logins.js';
import { UpstreamIdentities } from '../../src/engine/upstream-identities.js';
import type { User } from '../../src/engine/records.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { redisPerFile } from '../support/redis-per-file.js';

const redis = redisPerFile('upstream');
suite('memory', () => MemoryStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'sb-upstream-')) }));
suite('redis', () => Promise.resolve(redis.store()));

const userOf = (id: string): User => ({ tenant: 'acme', id, username: id, admin: false, createdAt: Date.now() });

function suite(kind: string, open: () => Promise<Store>) {
  describe(`upstream logins on the ${kind} store`, () => {
    let store: Store | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it('gives a pending login back once, to one of two racing takes', async () => {
      store = await open();
      const pending = new PendingLogins(store);
      const state = await pending.start({ provider: 'corp', verifier: 'v' }, 60);
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const [a, b] = await Promise.all([pending.take(state), pending.take(state)]);
      expect([a, b].filter(Boolean)).toEqual([{ provider: 'corp', verifier: 'v' }]);
      expect(await pending.take(state)).toBeUndefined();
      expect(await pending.take('A'.repeat(43))).toBeUndefined();
    });

    it('keeps a pending login no longer than asked', async () => {
      store = await open();
      const pending = new PendingLogins(store);
      const state = await pending.start({ provider: 'corp' }, 1);
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      expect(await pending.take(state)).toBeUndefined();
    });

    it('links an upstream account to one user, whichever first login wins, until that user is gone', async () => {
      store = await open();
      const directory = new Directory(store);
      await directory.putUser(userOf('u1'));
      await directory.putUser(userOf('u2'));
      const identities = new UpstreamIdentities(store, (tenant, id) => directory.getUser(tenant, id));
      const [first, second] = await Promise.all([
        identities.link('acme', 'https://id.example', 'sub-1', 'u1'),
        identities.link('acme', 'https://id.example', 'sub-1', 'u2'),
      ]);
      expect(first?.id).toBe(second?.id);
      expect((await identities.userOf('acme', 'https://id.example', 'sub-1'))?.id).toBe(first?.id);
      // Another issuer or tenant is another account.
      expect(await identities.userOf('acme', 'https://other.example', 'sub-1')).toBeUndefined();
      expect(await identities.userOf('globex', 'https://id.example', 'sub-1')).toBeUndefined();

      await directory.removeUser('acme', first!.id);
      expect(await identities.userOf('acme', 'https://id.example', 'sub-1')).toBeUndefined();
      const survivor = first!.id === 'u1' ? 'u2' : 'u1';
      expect((await identities.link('acme', 'https://id.example', 'sub-1', survivor))?.id).toBe(survivor);
    });
  });
}
