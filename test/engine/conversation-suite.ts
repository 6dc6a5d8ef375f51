import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { Principal } from '../../src/engine/records.js';
import type { Store } from '../../src/store/store.js';
import { chunk, startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { alice, bob, followToEnd, startEngine, testConfig, until, waitForEvent } from './harness.js';

/** The same user id as alice's, in another tenant. */
const globexAlice: Principal = { ...alice, tenant: 'globex' };
const page = (offset = 0, limit = 50) => ({ offset, limit });

/**
 * Conversations with client-chosen ids, their listings and deletion, and task
 * listings, end to end on a real store with the local model server. Run once
 * per store kind.
 */
export function conversationSuite(name: string, open: () => Promise<Store>): void {
  describe(`conversations on the ${name} store`, () => {
    let model: OpenAIServer;
    const opened: { engine: Engine; store: Store }[] = [];

    beforeAll(async () => {
      model = await startOpenAIServer();
    });
    afterAll(async () => {
      await model.close();
    });
    afterEach(async () => {
      for (const { engine, store } of opened.splice(0)) {
        await engine.stop(0);
        await store.close();
      }
    });

    /** An engine with a second agent ("writer") in acme and one ("globex-calc") in another tenant. */
    /** The store an engine of this suite was started on (the engine keeps its own private). */
    const storeOf = (engine: Engine) => opened.find((o) => o.engine === engine)!.store;

    async function boot(engineConfig: Record<string, unknown> = {}): Promise<Engine> {
      const store = await open();
      const engine = await startEngine(store, testConfig(model.url, engineConfig));
      opened.push({ engine, store });
      const agent = { description: '', systemPrompt: 'Help.', tools: [], maxLoops: 4, createdAt: 1, updatedAt: 1 };
      await engine.directory.putTenant({ code: 'globex', name: 'Globex', createdAt: 1 });
      await engine.directory.putAgent({ ...agent, id: 'writer', tenant: 'acme', name: 'Writer' });
      await engine.directory.putAgent({ ...agent, id: 'globex-calc', tenant: 'globex', name: 'Calculator' });
      return engine;
    }

    async function runTask(engine: Engine, principal: Principal, conversationId: string, text: string, agentId = 'calc') {
      model.script([textReply(`re: ${text}`)]);
      const task = await engine.tasks.create(principal, { agentId, conversationId, input: { text } });
      await followToEnd(engine, principal, task.id);
      return task;
    }

    for (const concurrency of ['reject', 'enqueue'] as const) {
      it(`lets two users and two tenants use one client id apart (${concurrency} policy)`, async () => {
        const engine = await boot({ concurrency });
        const id = 'session_1700000000000';
        const mine = await engine.conversations.getOrCreate(alice, { id, agentId: 'calc', meta: { who: 'alice' } });
        const theirs = await engine.conversations.getOrCreate(bob, { id, agentId: 'writer', meta: { who: 'bob' } });
        const elsewhere = await engine.conversations.getOrCreate(globexAlice, { id, agentId: 'globex-calc', meta: { who: 'globex' } });
        expect([mine.created, theirs.created, elsewhere.created]).toEqual([true, true, true]);

        // Tasks of all three run at once: no shared slot or queue.
        model.script([0, 1, 2].map(() => ({ chunks: [chunk.text('working')], stall: true })));
        const tasks = [
          await engine.tasks.create(alice, { agentId: 'calc', conversationId: id, input: { text: 'from alice' } }),
          await engine.tasks.create(bob, { agentId: 'writer', conversationId: id, input: { text: 'from bob' } }),
          await engine.tasks.create(globexAlice, { agentId: 'globex-calc', conversationId: id, input: { text: 'from globex' } }),
        ];
        const owners = [alice, bob, globexAlice];
        for (const [i, task] of tasks.entries()) await waitForEvent(engine, owners[i]!, task.id, (e) => e.type === 'message.delta');
        for (const [i, task] of tasks.entries()) expect((await engine.tasks.get(owners[i]!, task.id)).state).toBe('running');

        // Each sees their own conversation, messages and tasks only.
        expect((await engine.conversations.get(alice, id)).meta).toEqual({ who: 'alice' });
        expect((await engine.conversations.get(bob, id)).meta).toEqual({ who: 'bob' });
        expect((await engine.conversations.get(globexAlice, id)).meta).toEqual({ who: 'globex' });
        expect((await engine.conversations.messages(bob, id)).map((m) => m.content)).toEqual(['from bob']);
        expect((await engine.tasks.list(alice, page(), { conversationId: id })).items.map((t) => t.id)).toEqual([tasks[0]!.id]);
        expect((await engine.tasks.list(bob, page(), { conversationId: id })).items.map((t) => t.id)).toEqual([tasks[1]!.id]);
        await expect(engine.tasks.get(bob, tasks[0]!.id)).rejects.toMatchObject({ code: 'not_found' });

        // A second task in alice's own conversation still meets her own one.
        if (concurrency === 'reject') {
          await expect(engine.tasks.create(alice, { agentId: 'calc', conversationId: id, input: { text: 'again' } })).rejects.toMatchObject({
            code: 'conflict',
            detail: { slot: id },
          });
        }
        for (const [i, task] of tasks.entries()) expect((await engine.tasks.cancel(owners[i]!, task.id)).state).toBe('cancelled');
      });
    }

    it('never takes over, reveals or deletes an id another user holds', async () => {
      const engine = await boot();
      const id = 'session_42';
      await runTask(engine, alice, (await engine.conversations.getOrCreate(alice, { id, agentId: 'calc' })).conversation.id, 'private');
      // Bob's first use of the id makes his own, empty conversation; his rename and delete touch only his.
      await expect(engine.conversations.get(bob, id)).rejects.toMatchObject({ code: 'not_found' });
      await expect(engine.conversations.rename(bob, id, 'mine now')).rejects.toMatchObject({ code: 'not_found' });
      await expect(engine.conversations.delete(bob, id)).rejects.toMatchObject({ code: 'not_found' });
      await expect(engine.tasks.list(bob, page(), { conversationId: id })).rejects.toMatchObject({ code: 'not_found' });
      const bobs = await engine.conversations.getOrCreate(bob, { id, agentId: 'calc' });
      expect(bobs).toMatchObject({ created: true, conversation: { userId: 'bob', messageCount: 0, title: '' } });
      await engine.conversations.delete(bob, id);
      const kept = await engine.conversations.get(alice, id);
      expect(kept).toMatchObject({ userId: 'alice', messageCount: 2, title: 'private' });
      expect((await engine.conversations.messages(alice, id)).map((m) => m.content)).toEqual(['private', 're: private']);
    });

    it('creates the conversation with its first message and finds it afterwards', async () => {
      const engine = await boot();
      const id = 'session_1700000000001';
      const [first, racing] = await Promise.all([
        engine.conversations.getOrCreate(alice, { id, agentId: 'calc' }),
        engine.conversations.getOrCreate(alice, { id, agentId: 'calc' }),
      ]);
      expect([first.created, racing.created].sort()).toEqual([false, true]);
      await runTask(engine, alice, id, 'Plan a trip to Lisbon');
      const again = await engine.conversations.getOrCreate(alice, { id, agentId: 'writer', title: 'ignored' });
      expect(again).toMatchObject({ created: false, conversation: { id, agentId: 'calc', title: 'Plan a trip to Lisbon', messageCount: 2 } });
      expect((await engine.conversations.list(alice, page())).total).toBe(1);
      await expect(engine.conversations.getOrCreate(alice, { id: '', agentId: 'calc' })).rejects.toMatchObject({ code: 'invalid_argument' });
      await expect(engine.conversations.getOrCreate(alice, { id: 'x'.repeat(257), agentId: 'calc' })).rejects.toMatchObject({ code: 'invalid_argument' });
      await expect(engine.conversations.getOrCreate(alice, { id: 'other', agentId: 'globex-calc' })).rejects.toMatchObject({ code: 'not_found' });
    });

    it('renames, searches, sorts and pages with totals that follow every change', async () => {
      const engine = await boot();
      const made = [
        { id: 'c1', title: 'Budget review', agentId: 'calc', at: 1000 },
        { id: 'c2', title: 'holiday plans', agentId: 'writer', at: 2000 },
        { id: 'c3', title: 'Tax BUDGET 2024', agentId: 'calc', at: 3000 },
        { id: 'c4', title: 'Recipes', agentId: 'writer', at: 4000 },
        { id: 'c5', title: 'Apples and budgets', agentId: 'calc', at: 5000 },
      ];
      for (const c of made) await engine.conversations.create(alice, { id: c.id, title: c.title, agentId: c.agentId }, c.at);
      await engine.conversations.create(bob, { id: 'c1', title: 'Budget of bob', agentId: 'calc' }, 9000);
      // Activity moves c1 to the front of the default order, not of the creation order.
      await engine.conversations.addMessage(alice, 'c1', { role: 'user', content: 'hello' }, 6000);

      const ids = async (query: Parameters<Engine['conversations']['list']>[2], offset = 0, limit = 50) => {
        const { items, total } = await engine.conversations.list(alice, page(offset, limit), query);
        return { ids: items.map((c) => c.id), total };
      };
      expect(await ids({})).toEqual({ ids: ['c1', 'c5', 'c4', 'c3', 'c2'], total: 5 });
      expect(await ids({ sort: 'created' })).toEqual({ ids: ['c5', 'c4', 'c3', 'c2', 'c1'], total: 5 });
      expect(await ids({ sort: 'created', order: 'asc' }, 1, 2)).toEqual({ ids: ['c2', 'c3'], total: 5 });
      expect(await ids({ sort: 'title' })).toEqual({ ids: ['c5', 'c1', 'c2', 'c4', 'c3'], total: 5 });
      expect(await ids({ sort: 'title', order: 'desc' }, 0, 2)).toEqual({ ids: ['c3', 'c4'], total: 5 });
      expect(await ids({ search: 'budget' })).toEqual({ ids: ['c1', 'c5', 'c3'], total: 3 });
      expect(await ids({ search: ' BUDGET ', sort: 'created', order: 'asc' }, 1, 1)).toEqual({ ids: ['c3'], total: 3 });
      expect(await ids({ agentId: 'calc' })).toEqual({ ids: ['c1', 'c5', 'c3'], total: 3 });
      expect(await ids({ agentId: 'writer', sort: 'created', order: 'asc' })).toEqual({ ids: ['c2', 'c4'], total: 2 });
      expect(await ids({ agentId: 'writer', search: 'plans' })).toEqual({ ids: ['c2'], total: 1 });
      expect(await ids({}, 4, 10)).toEqual({ ids: ['c2'], total: 5 });

      // Rename: trimmed, checked, found by its new title only, and not counted as activity.
      const renamed = await engine.conversations.rename(alice, 'c4', '  Zucchini budget  ');
      expect(renamed).toMatchObject({ title: 'Zucchini budget', updatedAt: 4000 });
      await expect(engine.conversations.rename(alice, 'c4', '   ')).rejects.toMatchObject({ code: 'invalid_argument' });
      await expect(engine.conversations.rename(alice, 'nope', 'x')).rejects.toMatchObject({ code: 'not_found' });
      expect(await ids({ search: 'budget' })).toEqual({ ids: ['c1', 'c5', 'c4', 'c3'], total: 4 });
      expect(await ids({ search: 'recipes' })).toEqual({ ids: [], total: 0 });
      expect((await ids({ sort: 'title' })).ids.at(-1)).toBe('c4');
      expect((await ids({})).ids).toEqual(['c1', 'c5', 'c4', 'c3', 'c2']);
      // An update cannot move a conversation to another agent (its listings would go stale).
      await engine.conversations.update(alice, 'c4', (c) => ({ ...c, agentId: 'calc' }));
      expect((await engine.conversations.get(alice, 'c4')).agentId).toBe('writer');

      // Delete: gone from every listing and total; bob's c1 stays.
      await engine.conversations.delete(alice, 'c1');
      expect(await ids({})).toEqual({ ids: ['c5', 'c4', 'c3', 'c2'], total: 4 });
      expect(await ids({ sort: 'created' })).toEqual({ ids: ['c5', 'c4', 'c3', 'c2'], total: 4 });
      expect(await ids({ agentId: 'calc', sort: 'created' })).toEqual({ ids: ['c5', 'c3'], total: 2 });
      expect(await ids({ search: 'budget' })).toEqual({ ids: ['c5', 'c4', 'c3'], total: 3 });
      expect((await engine.conversations.list(bob, page())).items.map((c) => c.title)).toEqual(['Budget of bob']);
    });

    it('deletes a conversation with its messages and tasks, stopping the running one', async () => {
      const engine = await boot();
      const id = 'session_doomed';
      await engine.conversations.getOrCreate(alice, { id, agentId: 'calc' });
      await engine.conversations.getOrCreate(bob, { id, agentId: 'calc' });
      const done = await runTask(engine, alice, id, 'first');
      const other = await runTask(engine, alice, (await engine.conversations.create(alice, { agentId: 'calc' })).id, 'elsewhere');
      const bobs = await runTask(engine, bob, id, 'bob keeps this');
      model.script([{ chunks: [chunk.text('still going')], stall: true }]);
      const running = await engine.tasks.create(alice, { agentId: 'calc', conversationId: id, input: { text: 'second' } });
      await waitForEvent(engine, alice, running.id, (e) => e.type === 'message.delta');
      expect((await engine.tasks.list(alice, page())).total).toBe(3);

      await engine.conversations.delete(alice, id);
      expect(await model.requests.at(-1)!.outcome).toBe('client-closed');
      await expect(engine.conversations.get(alice, id)).rejects.toMatchObject({ code: 'not_found' });
      await expect(engine.conversations.messages(alice, id)).rejects.toMatchObject({ code: 'not_found' });
      for (const task of [done, running]) {
        await expect(engine.tasks.get(alice, task.id)).rejects.toMatchObject({ code: 'not_found' });
        await expect(engine.tasks.read(alice, task.id, 0, 10)).rejects.toMatchObject({ code: 'not_found' });
        expect(await storeOf(engine).logInfo(task.id)).toBeUndefined();
      }
      const left = await engine.tasks.list(alice, page());
      expect({ ids: left.items.map((t) => t.id), total: left.total }).toEqual({ ids: [other.id], total: 1 });
      expect((await engine.tasks.list(alice, page(), { agentId: 'calc' })).total).toBe(1);
      expect((await engine.conversations.list(alice, page())).total).toBe(1);
      expect((await engine.tasks.get(bob, bobs.id)).state).toBe('succeeded');
      expect((await engine.conversations.messages(bob, id)).map((m) => m.content)).toEqual(['bob keeps this', 're: bob keeps this']);

      // The id is free again for alice, as a new and empty conversation; her running limit was given back.
      const reborn = await engine.conversations.getOrCreate(alice, { id, agentId: 'calc' });
      expect(reborn).toMatchObject({ created: true, conversation: { messageCount: 0 } });
      expect((await engine.tasks.list(alice, page(), { conversationId: id })).total).toBe(0);
      expect((await storeOf(engine).indexRange('running:acme/alice', page())).total).toBe(0);
      await runTask(engine, alice, id, 'fresh start');
      expect((await engine.conversations.messages(alice, id)).map((m) => m.content)).toEqual(['fresh start', 're: fresh start']);
    });

    it('lists tasks per user, per agent and per conversation, newest first, with totals', async () => {
      const engine = await boot();
      const a = (await engine.conversations.create(alice, { agentId: 'calc' })).id;
      const b = (await engine.conversations.create(alice, { agentId: 'writer' })).id;
      const made = [
        await runTask(engine, alice, a, 'one'),
        await runTask(engine, alice, b, 'two', 'writer'),
        await runTask(engine, alice, a, 'three'),
        await runTask(engine, alice, b, 'four', 'writer'),
        await runTask(engine, alice, a, 'five'),
      ];
      await runTask(engine, bob, (await engine.conversations.create(bob, { agentId: 'calc' })).id, 'bob');
      const ids = async (scope: Parameters<Engine['tasks']['list']>[2], offset = 0, limit = 50) => {
        const { items, total } = await engine.tasks.list(alice, page(offset, limit), scope);
        return { ids: items.map((t) => t.input.text), total };
      };
      expect(made.map((t) => t.input.text)).toEqual(['one', 'two', 'three', 'four', 'five']);
      expect(await ids({})).toEqual({ ids: ['five', 'four', 'three', 'two', 'one'], total: 5 });
      expect(await ids({}, 1, 2)).toEqual({ ids: ['four', 'three'], total: 5 });
      expect(await ids({ agentId: 'calc' })).toEqual({ ids: ['five', 'three', 'one'], total: 3 });
      expect(await ids({ agentId: 'writer' }, 1, 5)).toEqual({ ids: ['two'], total: 2 });
      expect(await ids({ conversationId: b })).toEqual({ ids: ['four', 'two'], total: 2 });
      expect(await ids({ conversationId: a }, 2, 5)).toEqual({ ids: ['one'], total: 3 });
      expect(await ids({ agentId: 'nobody' })).toEqual({ ids: [], total: 0 });
      expect((await engine.tasks.list(bob, page())).total).toBe(1);
      await expect(engine.tasks.list(alice, page(), { conversationId: 'missing' })).rejects.toMatchObject({ code: 'not_found' });
    });

    it('takes expired tasks out of their listings', async () => {
      const engine = await boot({ retention_seconds: 1 });
      const id = (await engine.conversations.create(alice, { agentId: 'calc' })).id;
      await runTask(engine, alice, id, 'short-lived');
      expect((await engine.tasks.list(alice, page(), { conversationId: id })).total).toBe(1);
      // A task leaves its three listings one after another: wait for the last of them.
      const totals = async () => Promise.all([{}, { agentId: 'calc' }, { conversationId: id }].map(async (scope) => (await engine.tasks.list(alice, page(), scope)).total));
      await until(async () => (await totals()).every((total) => total === 0), 8_000);
      // The conversation and its messages outlive its tasks.
      expect((await engine.conversations.get(alice, id)).messageCount).toBe(2);
    });
  });
}
