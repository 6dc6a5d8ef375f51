import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { applyBootstrap } from '../../src/engine/bootstrap.js';
import { Directory } from '../../src/engine/directory.js';
import { EngineError, type ErrorCode } from '../../src/engine/errors.js';
import type { Principal } from '../../src/engine/records.js';
import type { Store } from '../../src/store/store.js';
import { startEngine } from './harness.js';

/**
 * The directory's identity rules on a real store: user management by admins,
 * credential revocation (runtime and on boot), and agents with access lists,
 * all within one tenant. Run once per store kind.
 */
export function directorySuite(name: string, open: () => Promise<Store>): void {
  describe(`directory on the ${name} store`, () => {
    const stores: Store[] = [];
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });

    async function fresh(config = seedConfig()): Promise<{ directory: Directory; store: Store }> {
      const store = await open();
      stores.push(store);
      const directory = new Directory(store);
      await applyBootstrap(directory, config);
      return { directory, store };
    }

    const login = (directory: Directory, token: string) => directory.authenticateToken(token);

    describe('users', () => {
      it('only admins of the tenant create, list, update and delete users', async () => {
        const { directory } = await fresh();
        const admin = await login(directory, 'tok-root');
        const plain = await login(directory, 'tok-alice');

        await expectCode(directory.createUser(plain, { username: 'eve' }), 'forbidden');
        const carol = await directory.createUser(admin, { id: 'carol', username: 'carol', email: 'c@acme.test', password: 'carol-pass-1' });
        expect(carol).toMatchObject({ tenant: 'acme', id: 'carol', username: 'carol', admin: false, hasPassword: true });
        expect(carol).not.toHaveProperty('passwordHash');

        await expectCode(directory.listUsers(plain, { offset: 0, limit: 10 }), 'forbidden');
        const all = await directory.listUsers(admin, { offset: 0, limit: 10 });
        expect(all.total).toBe(4);
        expect(all.items.map((u) => u.id).sort()).toEqual(['alice', 'bob', 'carol', 'root']);
        const second = await directory.listUsers(admin, { offset: 1, limit: 2 });
        expect(second.total).toBe(4);
        expect(second.items.map((u) => u.id)).toEqual(all.items.slice(1, 3).map((u) => u.id));

        await expectCode(directory.updateUser(plain, 'carol', { admin: true }), 'forbidden');
        const promoted = await directory.updateUser(admin, 'carol', { admin: true, email: null });
        expect(promoted).toMatchObject({ admin: true, username: 'carol' });
        expect(promoted.email).toBeUndefined();
        expect((await directory.authenticatePassword('acme', 'carol', 'carol-pass-1')).admin).toBe(true);

        await expectCode(directory.deleteUser(plain, 'carol'), 'forbidden');
        await directory.deleteUser(admin, 'carol');
        expect(await directory.getUser('acme', 'carol')).toBeUndefined();
        expect((await directory.listUsers(admin, { offset: 0, limit: 10 })).total).toBe(3);
        await expectCode(directory.deleteUser(admin, 'carol'), 'not_found');
      });

      it("never reaches another tenant's users", async () => {
        const { directory } = await fresh();
        const acmeAdmin = await login(directory, 'tok-root');
        const globexAdmin = await login(directory, 'tok-gadmin');
        const globexUser = await login(directory, 'tok-gina');

        await expectCode(directory.viewUser(globexAdmin, 'alice'), 'not_found');
        await expectCode(directory.updateUser(globexAdmin, 'alice', { admin: true }), 'not_found');
        await expectCode(directory.resetPassword(globexAdmin, 'alice', 'taken-over-1'), 'not_found');
        await expectCode(directory.deleteUser(globexAdmin, 'alice'), 'not_found');
        await expectCode(directory.issueToken(globexAdmin, 'alice'), 'not_found');
        // A non-admin learns nothing, not even whether the id exists.
        await expectCode(directory.deleteUser(globexUser, 'alice'), 'forbidden');
        await expectCode(directory.issueToken(globexUser, 'alice'), 'forbidden');
        expect(await directory.getUser('acme', 'alice')).toMatchObject({ admin: false });
        expect((await login(directory, 'tok-alice')).tenant).toBe('acme');

        // The same id in another tenant is another user.
        await directory.createUser(globexAdmin, { id: 'alice', username: 'alice' });
        expect((await directory.viewUser(acmeAdmin, 'alice')).tenant).toBe('acme');
        expect((await directory.viewUser(globexAdmin, 'alice')).tenant).toBe('globex');
      });

      it('keeps usernames unique within a tenant, and only there', async () => {
        const { directory } = await fresh();
        const admin = await login(directory, 'tok-root');
        const globexAdmin = await login(directory, 'tok-gadmin');

        await directory.createUser(admin, { id: 'carol', username: 'carol', password: 'carol-pass-1' });
        await expectCode(directory.createUser(admin, { id: 'carol2', username: 'carol' }), 'conflict');
        await expectCode(directory.createUser(admin, { id: 'carol', username: 'other' }), 'conflict');
        await expectCode(directory.updateUser(admin, 'carol', { username: 'alice' }), 'conflict');
        await directory.createUser(globexAdmin, { id: 'carol', username: 'carol', password: 'globex-pass-1' });

        // Each tenant's carol logs in with her own password only.
        expect((await directory.authenticatePassword('acme', 'carol', 'carol-pass-1')).tenant).toBe('acme');
        expect((await directory.authenticatePassword('globex', 'carol', 'globex-pass-1')).tenant).toBe('globex');
        await expectCode(directory.authenticatePassword('globex', 'carol', 'carol-pass-1'), 'unauthenticated');

        // A rename frees the old name for someone else.
        await directory.updateUser(admin, 'carol', { username: 'caroline' });
        await expectCode(directory.authenticatePassword('acme', 'carol', 'carol-pass-1'), 'unauthenticated');
        expect((await directory.authenticatePassword('acme', 'caroline', 'carol-pass-1')).userId).toBe('carol');
        const newcomer = await directory.createUser(admin, { username: 'carol' });
        expect((await directory.findUserByUsername('acme', 'carol'))?.id).toBe(newcomer.id);

        // Ids end up in URLs and keys: a plain alphabet only.
        await expectCode(directory.createUser(admin, { id: 'a/b', username: 'slash' }), 'invalid_argument');
      });

      it('changes a password with the current one, and lets an admin reset it', async () => {
        const { directory } = await fresh();
        const admin = await login(directory, 'tok-root');
        const alice = await login(directory, 'tok-alice');
        expect((await directory.authenticatePassword('acme', 'alice', 'alice-pass-1')).userId).toBe('alice');

        await expectCode(directory.changePassword(alice, 'wrong-guess-1', 'alice-pass-2'), 'forbidden');
        await expectCode(directory.changePassword(alice, 'alice-pass-1', 'short'), 'invalid_argument');
        await directory.changePassword(alice, 'alice-pass-1', 'alice-pass-2');
        await expectCode(directory.authenticatePassword('acme', 'alice', 'alice-pass-1'), 'unauthenticated');
        expect((await directory.authenticatePassword('acme', 'alice', 'alice-pass-2')).via).toBe('password');

        await expectCode(directory.resetPassword(alice, 'root', 'hijacked-pass'), 'forbidden');
        await directory.resetPassword(admin, 'alice', 'alice-reset-3');
        await expectCode(directory.authenticatePassword('acme', 'alice', 'alice-pass-2'), 'unauthenticated');
        expect((await directory.authenticatePassword('acme', 'alice', 'alice-reset-3')).userId).toBe('alice');
        await expectCode(directory.authenticatePassword('acme', 'nobody', 'alice-reset-3'), 'unauthenticated');
      });

      it('revokes every credential of a deleted user, even when the id comes back', async () => {
        const { directory } = await fresh();
        const admin = await login(directory, 'tok-root');
        await directory.createUser(admin, { id: 'dave', username: 'dave', password: 'dave-pass-1' });
        const own = await directory.issueToken(await login(directory, await directory.issueToken(admin, 'dave')));
        const issued = await directory.issueToken(admin, 'dave');
        expect((await login(directory, own)).userId).toBe('dave');

        await directory.deleteUser(admin, 'dave');
        await expectCode(login(directory, own), 'unauthenticated');
        await expectCode(login(directory, issued), 'unauthenticated');
        await expectCode(directory.authenticatePassword('acme', 'dave', 'dave-pass-1'), 'unauthenticated');

        // A new user under the old id inherits nothing.
        await directory.createUser(admin, { id: 'dave', username: 'dave' });
        await expectCode(login(directory, own), 'unauthenticated');
        await expectCode(login(directory, issued), 'unauthenticated');
        await expectCode(directory.authenticatePassword('acme', 'dave', 'dave-pass-1'), 'unauthenticated');
      });

      it('revokes a living user\'s tokens and password on request', async () => {
        const { directory } = await fresh();
        await directory.revokeUserCredentials('acme', 'alice');
        await expectCode(login(directory, 'tok-alice'), 'unauthenticated');
        await expectCode(directory.authenticatePassword('acme', 'alice', 'alice-pass-1'), 'unauthenticated');
        expect(await directory.getUser('acme', 'alice')).toBeDefined();
        expect((await login(directory, 'tok-root')).userId).toBe('root');
      });
    });

    describe('bootstrap', () => {
      it('revokes what leaves the config and keeps what was made at runtime', async () => {
        const { directory } = await fresh();
        const admin = await login(directory, 'tok-root');
        const runtimeToken = await directory.issueToken(admin, 'alice');
        await directory.putCredential('key-runtime', { kind: 'api_key', tenant: 'acme', source: 'runtime', createdAt: 1 });
        await directory.resetPassword(admin, 'root', 'root-chosen-1');
        expect((await login(directory, 'tok-bob')).userId).toBe('bob');

        const next = seedConfig((seeds) => {
          seeds.tenants[0]!.api_keys = ['key-acme-1'];
          seeds.users = seeds.users.filter((u) => u.id !== 'bob');
          const alice = seeds.users.find((u) => u.id === 'alice')!;
          alice.tokens = ['tok-alice'];
          delete alice.password;
          delete seeds.users.find((u) => u.id === 'root')!.password;
        });
        await applyBootstrap(directory, next);

        expect((await directory.authenticateApiKey('key-acme-1')).code).toBe('acme');
        await expectCode(directory.authenticateApiKey('key-acme-2'), 'unauthenticated');
        expect((await directory.authenticateApiKey('key-runtime')).code).toBe('acme');
        expect((await login(directory, 'tok-alice')).userId).toBe('alice');
        await expectCode(login(directory, 'tok-alice-old'), 'unauthenticated');
        expect((await login(directory, runtimeToken)).userId).toBe('alice');
        await expectCode(directory.authenticatePassword('acme', 'alice', 'alice-pass-1'), 'unauthenticated');
        // A password chosen at runtime is not the config's to revoke.
        expect((await directory.authenticatePassword('acme', 'root', 'root-chosen-1')).userId).toBe('root');
        // A user the config dropped loses every credential.
        await expectCode(login(directory, 'tok-bob'), 'unauthenticated');
        await expectCode(directory.authenticatePassword('acme', 'bob', 'bob-pass-1'), 'unauthenticated');
        expect(await directory.getUser('acme', 'bob')).toBeUndefined();
        // Bringing the token back in the config brings it back.
        await applyBootstrap(directory, seedConfig());
        expect((await login(directory, 'tok-alice-old')).userId).toBe('alice');
        expect((await login(directory, 'tok-bob')).userId).toBe('bob');
      });

      it('changes nothing on a second boot with the same config', async () => {
        const { directory } = await fresh();
        const alice = await login(directory, 'tok-alice');
        await directory.changePassword(alice, 'alice-pass-1', 'alice-chosen-2');
        const snapshot = async () => ({
          tenant: await directory.getTenant('acme'),
          user: await directory.getUser('acme', 'alice'),
          token: await directory.findCredential('tok-alice', 'token'),
          key: await directory.findCredential('key-acme-1', 'api_key'),
          agent: await directory.getAgent(alice, 'calc'),
        });
        const before = await snapshot();
        await applyBootstrap(directory, seedConfig(), Date.now() + 60_000);
        expect(await snapshot()).toEqual(before);
        // The config's password did not change, so the one alice chose stays.
        expect((await directory.authenticatePassword('acme', 'alice', 'alice-chosen-2')).userId).toBe('alice');

        // A config that changes the password does apply it.
        await applyBootstrap(directory, seedConfig((s) => (s.users.find((u) => u.id === 'alice')!.password = 'alice-config-3')));
        await expectCode(directory.authenticatePassword('acme', 'alice', 'alice-chosen-2'), 'unauthenticated');
        expect((await directory.authenticatePassword('acme', 'alice', 'alice-config-3')).userId).toBe('alice');
      });

      it('gives a token the config moves to another user to that user alone', async () => {
        const { directory } = await fresh();
        await applyBootstrap(directory, seedConfig((s) => {
          s.users.find((u) => u.id === 'alice')!.tokens = ['tok-alice'];
          s.users.find((u) => u.id === 'bob')!.tokens = ['tok-bob', 'tok-alice-old'];
        }));
        expect((await login(directory, 'tok-alice-old')).userId).toBe('bob');
        await directory.revokeUserCredentials('acme', 'alice');
        expect((await login(directory, 'tok-alice-old')).userId).toBe('bob');
      });
    });

    describe('agents', () => {
      it('lets the owner, the listed users and admins use a restricted agent', async () => {
        const { directory } = await fresh();
        const alice = await login(directory, 'tok-alice');
        const bob = await login(directory, 'tok-bob');
        const root = await login(directory, 'tok-root');
        const admin = await directory.createUser(root, { username: 'ops', admin: true });
        const ops = await login(directory, await directory.issueToken(root, admin.id));

        const agent = await directory.createAgent(alice, { id: 'notes', name: 'Notes', visibility: [] });
        expect(agent).toMatchObject({ owner: 'alice', tenant: 'acme', visibility: [], source: 'runtime', maxLoops: 8 });
        expect((await directory.getAgent(alice, 'notes')).name).toBe('Notes');
        expect((await directory.getAgent(ops, 'notes')).name).toBe('Notes');
        await expectCode(directory.getAgent(bob, 'notes'), 'not_found');
        expect((await directory.allAgents(bob)).map((a) => a.id)).toEqual(['calc']);
        // The engine acts for a task's owner with a principal that carries no admin flag.
        expect((await directory.getAgent({ ...ops, admin: false, via: 'system' }, 'notes')).id).toBe('notes');

        await expectCode(directory.updateAgent(bob, 'notes', { visibility: ['bob'] }), 'not_found');
        await directory.updateAgent(alice, 'notes', { visibility: ['bob'] });
        expect((await directory.getAgent(bob, 'notes')).visibility).toEqual(['bob']);
        expect((await directory.listAgents(bob, { offset: 0, limit: 10 })).total).toBe(2);
        // Using is not managing.
        await expectCode(directory.updateAgent(bob, 'notes', { name: 'Mine now' }), 'forbidden');
        await expectCode(directory.deleteAgent(bob, 'notes'), 'forbidden');
        await expectCode(directory.updateAgent(bob, 'calc', { name: 'Config agent' }), 'forbidden');
        await expectCode(directory.updateAgent(alice, 'notes', { owner: 'bob' }), 'forbidden');
        await expectCode(directory.createAgent(alice, { name: 'Sneaky', workDir: '/etc' }), 'forbidden');
        await expectCode(directory.createAgent(alice, { name: 'Loops', maxLoops: 0 }), 'invalid_argument');

        await directory.updateAgent(ops, 'notes', { owner: 'bob', visibility: 'tenant' });
        expect((await directory.getAgent(root, 'notes')).owner).toBe('bob');
        await directory.updateAgent(bob, 'notes', { name: 'Bob notes' });
        const listed = await directory.listAgents(alice, { offset: 0, limit: 10 });
        expect(listed.items.map((a) => [a.id, a.name])).toEqual([['calc', 'Calculator'], ['notes', 'Bob notes']]);
      });

      it("keeps agent ids per tenant: another tenant's agent can't be read, overwritten or shadowed", async () => {
        const { directory } = await fresh();
        const alice = await login(directory, 'tok-alice');
        const gina = await login(directory, 'tok-gina');
        const gadmin = await login(directory, 'tok-gadmin');

        await directory.createAgent(alice, { id: 'writer', name: 'Acme writer', systemPrompt: 'acme secret prompt' });
        await expectCode(directory.getAgent(gina, 'writer'), 'not_found');
        await expectCode(directory.getAgent(gadmin, 'calc'), 'not_found');
        await expectCode(directory.updateAgent(gadmin, 'writer', { systemPrompt: 'pwned' }), 'not_found');
        await expectCode(directory.deleteAgent(gadmin, 'writer'), 'not_found');

        // The same id in another tenant is another agent, and each tenant sees its own.
        const theirs = await directory.createAgent(gina, { id: 'writer', name: 'Globex writer' });
        expect(theirs).toMatchObject({ tenant: 'globex', owner: 'gina' });
        const shadow = await directory.createAgent(gina, { id: 'calc', name: 'Shadow calculator' });
        expect(shadow.tenant).toBe('globex');
        expect(await directory.getAgent(alice, 'writer')).toMatchObject({ name: 'Acme writer', systemPrompt: 'acme secret prompt' });
        expect((await directory.getAgent(alice, 'calc')).name).toBe('Calculator');
        expect((await directory.getAgent(gina, 'writer')).name).toBe('Globex writer');
        await directory.deleteAgent(gadmin, 'writer');
        expect((await directory.getAgent(alice, 'writer')).name).toBe('Acme writer');
        expect((await directory.allAgents(alice)).map((a) => a.id)).toEqual(['calc', 'writer']);
        expect((await directory.allAgents(gina)).map((a) => a.id)).toEqual(['calc']);
        await expectCode(directory.createAgent(alice, { id: 'writer', name: 'Again' }), 'conflict');
        await expectCode(directory.createAgent(alice, { id: '../globex/writer', name: 'Escape' }), 'invalid_argument');
      });

      it('keeps tenant codes and ids with slashes apart', async () => {
        const { directory } = await fresh();
        const now = Date.now();
        const base = { name: 'x', description: '', systemPrompt: '', tools: [], maxLoops: 1, createdAt: now, updatedAt: now };
        await directory.putAgent({ ...base, tenant: 'a', id: 'b/c', name: 'first' });
        await directory.putAgent({ ...base, tenant: 'a/b', id: 'c', name: 'second' });
        const inA: Principal = { tenant: 'a', userId: 'u', username: 'u', admin: false, via: 'system' };
        const inAB: Principal = { ...inA, tenant: 'a/b' };
        expect((await directory.getAgent(inA, 'b/c')).name).toBe('first');
        expect((await directory.getAgent(inAB, 'c')).name).toBe('second');
      });

      it('leaves past tasks readable after their agent changes or goes', async () => {
        const store = await open();
        stores.push(store);
        const engine = await startEngine(store, seedConfig());
        try {
          const alice = await engine.directory.authenticateToken('tok-alice');
          await engine.directory.createAgent(alice, { id: 'scribe', name: 'Scribe' });
          const task = await engine.tasks.create(alice, { agentId: 'scribe', input: { text: 'hello' }, executor: 'remote' });
          await engine.directory.updateAgent(alice, 'scribe', { name: 'Scribe 2', visibility: [] });
          expect((await engine.tasks.get(alice, task.id)).agentId).toBe('scribe');
          await engine.directory.deleteAgent(alice, 'scribe');
          await expectCode(engine.directory.getAgent(alice, 'scribe'), 'not_found');
          expect((await engine.tasks.get(alice, task.id)).input.text).toBe('hello');
          expect((await engine.conversations.messages(alice, task.conversationId)).map((m) => m.content)).toEqual(['hello']);
          await expectCode(engine.tasks.create(alice, { agentId: 'scribe', input: { text: 'again' }, executor: 'remote' }), 'not_found');
        } finally {
          await engine.stop(0);
        }
      });
    });
  });
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(EngineError);
  expect((error as EngineError).code).toBe(code);
}

type Seeds = { tenants: { code: string; name: string; api_keys: string[] }[]; users: UserSeedInput[] };
type UserSeedInput = { id: string; tenant: string; username: string; password?: string; admin?: boolean; tokens: string[] };

/** Two tenants with an admin each and a calculator agent; `edit` changes the seeds for a later boot. */
function seedConfig(edit: (seeds: Seeds) => void = () => {}): Config {
  const seeds: Seeds = {
    tenants: [
      { code: 'acme', name: 'Acme', api_keys: ['key-acme-1', 'key-acme-2'] },
      { code: 'globex', name: 'Globex', api_keys: ['key-globex'] },
    ],
    users: [
      { id: 'root', tenant: 'acme', username: 'root', password: 'root-pass-1', admin: true, tokens: ['tok-root'] },
      { id: 'alice', tenant: 'acme', username: 'alice', password: 'alice-pass-1', tokens: ['tok-alice', 'tok-alice-old'] },
      { id: 'bob', tenant: 'acme', username: 'bob', password: 'bob-pass-1', tokens: ['tok-bob'] },
      { id: 'gadmin', tenant: 'globex', username: 'gadmin', admin: true, tokens: ['tok-gadmin'] },
      { id: 'gina', tenant: 'globex', username: 'gina', tokens: ['tok-gina'] },
    ],
  };
  edit(seeds);
  return parseConfig(
    {
      models: [{ name: 'demo', kind: 'demo' }],
      default_model: 'demo',
      bootstrap: {
        ...seeds,
        agents: [{ id: 'calc', tenant: 'acme', name: 'Calculator', system_prompt: 'Use the calculator.', tools: ['calculator'] }],
      },
    },
    {},
  );
}
