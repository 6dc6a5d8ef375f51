/**
 * Finding a user by email through the directory's email index, on the
 * memory and the Redis store: kept right by create, update (email changed,
 * case changed, removed), delete and the config's users at boot, and built
 * once for users an older version wrote without it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { applyBootstrap } from '../../src/engine/bootstrap.js';
import { Directory, userKey } from '../../src/engine/directory.js';
import type { Principal, User } from '../../src/engine/records.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Store } from '../../src/store/store.js';
import { redisPerFile } from '../support/redis-per-file.js';

const redis = redisPerFile('e');
emailIndexSuite('memory', () => MemoryStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'sb-email-index-')) }));
emailIndexSuite('redis', () => Promise.resolve(redis.store()));

const admin: Principal = { tenant: 'acme', userId: 'root', username: 'root', admin: true, via: 'token' };

function seedConfig(users: Record<string, unknown>[]): Config {
  return parseConfig(
    {
      models: [{ name: 'demo', kind: 'demo' }],
      default_model: 'demo',
      bootstrap: {
        tenants: [
          { code: 'acme', name: 'Acme' },
          { code: 'globex', name: 'Globex' },
        ],
        users: [{ id: 'root', tenant: 'acme', username: 'root', admin: true }, ...users],
        agents: [],
      },
    },
    {},
  );
}

function emailIndexSuite(name: string, open: () => Promise<Store>): void {
  describe(`the email index on the ${name} store`, () => {
    const stores: Store[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });

    async function fresh(users: Record<string, unknown>[] = []): Promise<{ directory: Directory; store: Store }> {
      const store = await open();
      stores.push(store);
      const directory = new Directory(store);
      await applyBootstrap(directory, seedConfig(users));
      return { directory, store };
    }

    const idOf = async (directory: Directory, tenant: string, email: string) => (await directory.findUserByEmail(tenant, email))?.id;

    it('finds a created user by its email in any case, in its own tenant only', async () => {
      const { directory } = await fresh();
      await directory.createUser(admin, { id: 'carol', username: 'carol', email: 'Carol@Acme.Test' });
      expect(await idOf(directory, 'acme', 'carol@acme.test')).toBe('carol');
      expect(await idOf(directory, 'acme', '  CAROL@ACME.TEST ')).toBe('carol');
      expect(await idOf(directory, 'globex', 'carol@acme.test')).toBeUndefined();
      expect(await idOf(directory, 'acme', 'nobody@acme.test')).toBeUndefined();
      expect(await idOf(directory, 'acme', '')).toBeUndefined();
    });

    it('follows an email changed, changed in case only, removed, and a deleted user', async () => {
      const { directory } = await fresh();
      await directory.createUser(admin, { id: 'dave', username: 'dave', email: 'dave@old.test' });
      await directory.updateUser(admin, 'dave', { email: 'dave@new.test' });
      expect(await idOf(directory, 'acme', 'dave@old.test')).toBeUndefined();
      expect(await idOf(directory, 'acme', 'dave@new.test')).toBe('dave');

      await directory.updateUser(admin, 'dave', { email: 'DAVE@new.test' });
      expect(await idOf(directory, 'acme', 'dave@new.test')).toBe('dave');
      expect((await directory.findUserByEmail('acme', 'dave@new.test'))?.email).toBe('DAVE@new.test');

      // A patch that leaves the email alone keeps it found.
      await directory.updateUser(admin, 'dave', { admin: true });
      expect(await idOf(directory, 'acme', 'dave@new.test')).toBe('dave');

      await directory.updateUser(admin, 'dave', { email: null });
      expect(await idOf(directory, 'acme', 'dave@new.test')).toBeUndefined();

      await directory.updateUser(admin, 'dave', { email: 'dave@again.test' });
      expect(await idOf(directory, 'acme', 'dave@again.test')).toBe('dave');
      await directory.deleteUser(admin, 'dave');
      expect(await idOf(directory, 'acme', 'dave@again.test')).toBeUndefined();
    });

    it('with several users sharing an email, answers the oldest one still holding it', async () => {
      const { directory } = await fresh();
      await directory.createUser(admin, { id: 'first', username: 'first', email: 'shared@acme.test' }, 1_000);
      await directory.createUser(admin, { id: 'second', username: 'second', email: 'shared@acme.test' }, 2_000);
      expect(await idOf(directory, 'acme', 'shared@acme.test')).toBe('first');
      await directory.updateUser(admin, 'first', { email: 'first@acme.test' });
      expect(await idOf(directory, 'acme', 'shared@acme.test')).toBe('second');
    });

    it('indexes the config users at boot and follows a later boot that changes or drops their email', async () => {
      const { directory, store } = await fresh([{ id: 'erin', tenant: 'globex', username: 'erin', email: 'erin@globex.test' }]);
      expect(await idOf(directory, 'globex', 'erin@globex.test')).toBe('erin');

      await applyBootstrap(directory, seedConfig([{ id: 'erin', tenant: 'globex', username: 'erin', email: 'erin@new.test' }]));
      expect(await idOf(directory, 'globex', 'erin@globex.test')).toBeUndefined();
      expect(await idOf(directory, 'globex', 'erin@new.test')).toBe('erin');

      await applyBootstrap(directory, seedConfig([{ id: 'erin', tenant: 'globex', username: 'erin' }]));
      expect(await idOf(directory, 'globex', 'erin@new.test')).toBeUndefined();

      // A second directory on the same data (another instance) sees the same.
      const other = new Directory(store);
      await applyBootstrap(other, seedConfig([{ id: 'erin', tenant: 'globex', username: 'erin', email: 'erin@back.test' }]));
      expect(await idOf(directory, 'globex', 'erin@back.test')).toBe('erin');
    });

    it('indexes once the users an older version wrote without the index, then reads only the index', async () => {
      const store = await open();
      stores.push(store);
      // Users as a version before the index wrote them: the record and the tenant's listing, nothing else.
      const legacy = (id: string, email: string): User => ({ tenant: 'acme', id, username: id, email, admin: false, source: 'runtime', createdAt: 1 });
      for (const user of [legacy('old1', 'old1@acme.test'), legacy('old2', 'Old2@Acme.test')]) {
        await store.put('user', userKey('acme', user.id), user);
        await store.indexAdd('users:acme', user.id, user.createdAt);
      }
      const directory = new Directory(store);
      expect(await idOf(directory, 'acme', 'old2@acme.test')).toBe('old2');
      expect(await idOf(directory, 'acme', 'old1@acme.test')).toBe('old1');

      // Once built, a lookup reads the index, not the users: another instance finds them without walking,
      // and a user written behind the directory's back is not found.
      await store.put('user', userKey('acme', 'sneaky'), legacy('sneaky', 'sneaky@acme.test'));
      await store.indexAdd('users:acme', 'sneaky', 1);
      const other = new Directory(store);
      expect(await idOf(other, 'acme', 'old1@acme.test')).toBe('old1');
      expect(await idOf(other, 'acme', 'sneaky@acme.test')).toBeUndefined();
    });
  });
}
