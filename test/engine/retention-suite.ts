import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conversationKey } from '../../src/engine/conversation-keys.js';
import { messagesOf } from '../../src/engine/conversation-messages.js';
import type { Engine } from '../../src/engine/engine.js';
import type { Principal } from '../../src/engine/records.js';
import { userDir } from '../../src/engine/workspace-files.js';
import type { Store } from '../../src/store/store.js';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { alice, bob, followToEnd, startEngine, testConfig, until } from './harness.js';

const admin: Principal = { tenant: 'acme', userId: 'root', username: 'root', admin: true, via: 'token' };
const page = { offset: 0, limit: 50 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (content: string) => ({ content: Readable.from([Buffer.from(content)]) });

/**
 * Retention on a real store: idle conversations expire with their messages,
 * tasks and listing entries; uploads expire with their bytes; a removed user
 * takes their data along. Listing totals follow each. Run once per store kind.
 */
export function retentionSuite(name: string, open: () => Promise<Store>): void {
  describe(`retention on the ${name} store`, () => {
    let model: OpenAIServer;
    const opened: { engine: Engine; store: Store }[] = [];
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-retention-files-'));
    /** The store and the files folder of the engine the running test booted. */
    let store: Store;
    let filesDir: string;

    beforeAll(async () => {
      model = await startOpenAIServer();
    });
    afterAll(async () => {
      await model.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    afterEach(async () => {
      for (const { engine, store } of opened.splice(0)) {
        await engine.stop(0);
        await store.close();
      }
    });

    async function boot(engineConfig: Record<string, unknown>): Promise<Engine> {
      const config = testConfig(model.url, engineConfig);
      store = await open();
      filesDir = mkdtempSync(join(dataDir, 'd-'));
      const engine = await startEngine(store, { ...config, store: { ...config.store, data_dir: filesDir } });
      opened.push({ engine, store });
      return engine;
    }

    async function runTask(engine: Engine, principal: Principal, conversationId: string, input: string) {
      model.script([textReply(`re: ${input}`)]);
      const task = await engine.tasks.create(principal, { agentId: 'calc', conversationId, input: { text: input } });
      await followToEnd(engine, principal, task.id);
      return task;
    }

    const totals = async (engine: Engine, who: Principal) => ({
      updated: (await engine.conversations.list(who, page)).total,
      created: (await engine.conversations.list(who, page, { sort: 'created' })).total,
      byAgent: (await engine.conversations.list(who, page, { agentId: 'calc' })).total,
      tasks: (await engine.tasks.list(who, page)).total,
    });
    const messagesFiled = async (who: Principal, conversationId: string) =>
      (await store.indexRange(messagesOf({ tenant: who.tenant, userId: who.userId, conversationId }), { offset: 0, limit: 0 })).total;

    it('expires an idle conversation with its messages and tasks; activity keeps another alive', async () => {
      const engine = await boot({ conversation_retention_seconds: 2 });
      await engine.conversations.create(alice, { id: 'idle', agentId: 'calc' });
      await engine.conversations.create(alice, { id: 'busy', agentId: 'calc' });
      const task = await runTask(engine, alice, 'idle', 'forget me');
      expect(await totals(engine, alice)).toEqual({ updated: 2, created: 2, byAgent: 2, tasks: 1 });

      // Messages and a rename restart the retention: `busy` outlives `idle` by far.
      const started = Date.now();
      for (let i = 0; Date.now() - started < 3_500; i++) {
        if (i === 2) await engine.conversations.rename(alice, 'busy', 'still here');
        else await engine.conversations.addMessage(alice, 'busy', { role: 'user', content: `ping ${i}` });
        await sleep(500);
      }
      // A sweep clears a conversation's listings, then its tasks, then its messages: wait for the last.
      const left = { updated: 1, created: 1, byAgent: 1, tasks: 0 };
      await until(async () => JSON.stringify(await totals(engine, alice)) === JSON.stringify(left) && (await messagesFiled(alice, 'idle')) === 0, 8_000);
      await expect(engine.conversations.get(alice, 'idle')).rejects.toMatchObject({ code: 'not_found' });
      await expect(engine.tasks.get(alice, task.id)).rejects.toMatchObject({ code: 'not_found' });
      expect(await messagesFiled(alice, 'idle')).toBe(0);
      expect(await engine.conversations.get(alice, 'busy')).toMatchObject({ title: 'still here' });

      // Left alone, `busy` goes too.
      const none = { updated: 0, created: 0, byAgent: 0, tasks: 0 };
      await until(async () => JSON.stringify(await totals(engine, alice)) === JSON.stringify(none) && (await messagesFiled(alice, 'busy')) === 0, 8_000);
    });

    it('starts an expired id afresh even before the sweep has cleared it', async () => {
      const engine = await boot({ conversation_retention_seconds: 1 });
      engine.reaper.stop();
      await engine.conversations.create(alice, { id: 'again', agentId: 'calc' });
      await runTask(engine, alice, 'again', 'old life');
      await until(() => engine.conversations.get(alice, 'again').then(() => false, () => true), 5_000);

      const reborn = await engine.conversations.getOrCreate(alice, { id: 'again', agentId: 'calc' });
      expect(reborn).toMatchObject({ created: true, conversation: { messageCount: 0 } });
      expect(await engine.conversations.messages(alice, 'again')).toEqual([]);
      expect((await engine.tasks.list(alice, page, { conversationId: 'again' })).total).toBe(0);
      expect(await totals(engine, alice)).toEqual({ updated: 1, created: 1, byAgent: 1, tasks: 0 });
    });

    it('removes expired uploads with their bytes and emptied folders, keeping a later upload to the same path', async () => {
      const engine = await boot({ file_retention_seconds: 2 });
      engine.reaper.stop();
      const area = 'user_upload';
      const first = await engine.workspace.save(alice, { dir: 'docs', filename: 'same.txt', ...text('first') }, area);
      const lone = await engine.workspace.save(alice, { dir: 'tmp/deep', filename: 'lone.txt', ...text('lone') }, area);
      await sleep(1_000);
      const second = await engine.workspace.save(alice, { dir: 'docs', filename: 'same.txt', ...text('second') }, area);
      const path = (await engine.workspace.stat(alice, 'docs/same.txt', area)).full;

      // The first two expire; the path's bytes belong to the second upload now.
      const gone = (id: string) => engine.workspace.byId(alice, id).then(() => false, () => true);
      await until(async () => (await gone(first.id)) && (await gone(lone.id)), 5_000);
      await engine.reaper.sweep();
      expect((await engine.workspace.list(alice, '', area)).map((e) => e.name)).toEqual(['docs']);
      expect(readFileSync(path, 'utf8')).toBe('second');
      expect((await engine.workspace.byId(alice, second.id)).path).toBe('docs/same.txt');

      await until(() => gone(second.id), 5_000);
      await engine.reaper.sweep();
      expect(existsSync(path)).toBe(false);
      expect(await engine.workspace.list(alice, '', area)).toEqual([]);
    });

    it("takes a removed user's conversations, messages, tasks and files along, and nobody else's", async () => {
      const engine = await boot({});
      const files: string[] = [];
      for (const who of [alice, bob]) {
        await engine.conversations.create(who, { id: 'mine', agentId: 'calc' });
        await runTask(engine, who, 'mine', `from ${who.userId}`);
        files.push((await engine.workspace.save(who, { filename: 'notes.txt', ...text(who.userId) })).id);
      }
      const bobsFolder = userDir(filesDir, 'acme', 'bob');
      expect(existsSync(bobsFolder)).toBe(true);

      await engine.directory.deleteUser(admin, 'bob');
      expect(await totals(engine, bob)).toEqual({ updated: 0, created: 0, byAgent: 0, tasks: 0 });
      expect(await messagesFiled(bob, 'mine')).toBe(0);
      expect(await store.get('conversation', conversationKey({ tenant: 'acme', userId: 'bob', conversationId: 'mine' }))).toBeUndefined();
      expect(existsSync(bobsFolder)).toBe(false);
      await expect(engine.workspace.byId(bob, files[1]!)).rejects.toMatchObject({ code: 'not_found' });
      expect((await engine.workspace.byId(alice, files[0]!)).name).toBe('notes.txt');
      expect(await totals(engine, alice)).toEqual({ updated: 1, created: 1, byAgent: 1, tasks: 1 });
      expect((await engine.workspace.list(alice, '')).map((e) => e.name)).toEqual(['notes.txt']);
    });
  });
}
