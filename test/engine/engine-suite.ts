import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { EngineError } from '../../src/engine/errors.js';
import { queueOf } from '../../src/engine/task-finish.js';
import type { Store } from '../../src/store/store.js';
import { chunk, startOpenAIServer, textReply, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import { alice, bob, followToEnd, startEngine, testConfig, until, waitForEvent } from './harness.js';

/**
 * The engine end to end on a real store, with the `openai` executor talking
 * to the local OpenAI-compatible server. Run once per store kind.
 */
export interface StoreMaker {
  /** A store on fresh, empty data. */
  open(): Promise<Store>;
  /** Another handle on the data of the last `open()` (a restarted or second instance). */
  reopen(): Promise<Store>;
}

export function engineSuite(name: string, stores: StoreMaker): void {
  describe(`engine on the ${name} store`, () => {
    let model: OpenAIServer;
    let engine: Engine;
    const opened: { engine?: Engine; store: Store }[] = [];

    beforeAll(async () => {
      model = await startOpenAIServer();
    });
    afterAll(async () => {
      await model.close();
    });
    afterEach(async () => {
      for (const { engine: e, store } of opened.splice(0)) {
        await e?.stop(0);
        await store.close();
      }
    });

    /** The store an engine of this suite was started on (the engine keeps its own private). */
    const storeOf = (engine: Engine) => opened.find((o) => o.engine === engine)!.store;

    async function boot(engineConfig: Record<string, unknown> = {}, instanceId?: string): Promise<Engine> {
      const store = await stores.open();
      const e = await startEngine(store, testConfig(model.url, engineConfig), instanceId);
      opened.push({ engine: e, store });
      return e;
    }

    it('runs a task with a tool call and records the whole exchange in order', async () => {
      engine = await boot();
      model.script([
        toolCallReply([{ id: 'call_1', name: 'calculator', arguments: '{"expression": "6*7"}' }]),
        textReply('The answer is 42.', { pieces: 4 }),
      ]);
      const task = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'What is 6 times 7?' } });
      expect(task.state).toBe('pending');
      const events = await followToEnd(engine, alice, task.id);

      expect(events.map((e) => e.offset)).toEqual(events.map((_, i) => i));
      expect(events[0]).toMatchObject({ type: 'task.started', data: { taskId: task.id, model: 'mock' } });
      const toolStart = events.find((e) => e.type === 'tool.started');
      expect(toolStart?.data).toMatchObject({ name: 'calculator', arguments: { expression: '6*7' } });
      const toolDone = events.find((e) => e.type === 'tool.completed');
      expect(toolDone?.data).toMatchObject({ name: 'calculator', status: 'ok' });
      expect(JSON.stringify(toolDone?.data)).toContain('42');
      const text = events.flatMap((e) => (e.type === 'message.delta' ? [e.data.text] : [])).join('');
      expect(text).toBe('The answer is 42.');
      expect(events.at(-1)).toMatchObject({ type: 'task.finished', data: { state: 'succeeded' } });

      const done = await engine.tasks.get(alice, task.id);
      expect(done.state).toBe('succeeded');
      expect(done.usage?.totalTokens).toBeGreaterThan(0);
      const history = await engine.conversations.messages(alice, task.conversationId);
      expect(history.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
      expect(history[3]?.content).toBe('The answer is 42.');

      // The second model turn carried the tool result back.
      const second = model.requests.at(-1)?.body as { messages: { role: string; content: string; tool_call_id?: string }[] };
      expect(second.messages.find((m) => m.role === 'tool')).toMatchObject({ tool_call_id: 'call_1' });
    });

    it('resumes from any offset with every later event exactly once', async () => {
      engine = await boot();
      model.script([{ ...textReply('one two three four five six', { pieces: 6 }), delayMs: 30 }]);
      const task = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'count' } });
      // Read the first few events live, then drop the stream and resume after the last seen.
      const firstDelta = await waitForEvent(engine, alice, task.id, (e) => e.type === 'message.delta');
      const resumed = await followToEnd(engine, alice, task.id, firstDelta.offset + 1);
      const full = await followToEnd(engine, alice, task.id, 0);
      expect(resumed).toEqual(full.slice(firstDelta.offset + 1));
      const page = await engine.tasks.read(alice, task.id, 3, 2);
      expect(page.events.map((e) => e.offset)).toEqual([3, 4]);
      expect(page.next).toBe(5);
      expect(page.epoch).toBe(task.epoch);
    });

    it('cancels mid-stream: the model call is aborted, the partial answer kept, the log ends cancelled', async () => {
      engine = await boot();
      model.script([{ chunks: [chunk.delta({ role: 'assistant', content: '' }), chunk.text('Partial '), chunk.text('answer')], stall: true }]);
      const task = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'talk slowly' } });
      await waitForEvent(engine, alice, task.id, (e) => e.type === 'message.delta' && e.data.text === 'answer');
      const cancelled = await engine.tasks.cancel(alice, task.id);
      expect(cancelled.state).toBe('cancelled');

      const events = await followToEnd(engine, alice, task.id);
      expect(events.find((e) => e.type === 'message.completed')?.data).toMatchObject({ text: 'Partial answer' });
      expect(events.at(-1)).toMatchObject({ type: 'task.finished', data: { state: 'cancelled' } });
      expect(await model.requests.at(-1)!.outcome).toBe('client-closed');
      const history = await engine.conversations.messages(alice, task.conversationId);
      expect(history.at(-1)).toMatchObject({ role: 'assistant', content: 'Partial answer' });
      // Cancelling again is harmless.
      expect((await engine.tasks.cancel(alice, task.id)).state).toBe('cancelled');
    });

    it('refuses a second task in a busy conversation under the reject policy', async () => {
      engine = await boot();
      model.script([{ chunks: [chunk.text('busy')], stall: true }]);
      const first = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'first' } });
      const second = engine.tasks.create(alice, { agentId: 'calc', conversationId: first.conversationId, input: { text: 'second' } });
      await expect(second).rejects.toMatchObject({ code: 'conflict' });
      await waitForEvent(engine, alice, first.id, (e) => e.type === 'message.delta');
      await engine.tasks.cancel(alice, first.id);
    });

    it('holds an exclusive slot across conversations until the task ends', async () => {
      engine = await boot();
      model.script([{ chunks: [chunk.text('busy')], stall: true }, textReply('next')]);
      const slot = ['user:acme/alice'];
      const first = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'first' }, exclusive: slot });
      await waitForEvent(engine, alice, first.id, (e) => e.type === 'message.delta');
      const refused = engine.tasks.create(alice, { agentId: 'calc', input: { text: 'elsewhere' }, exclusive: slot });
      await expect(refused).rejects.toMatchObject({ code: 'conflict', detail: { slot: 'user:acme/alice' } });
      // The slot is free again once the task ends.
      await engine.tasks.cancel(alice, first.id);
      const next = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'now' }, exclusive: slot });
      expect((await followToEnd(engine, alice, next.id)).at(-1)).toMatchObject({ data: { state: 'succeeded' } });
    });

    it('queues a second task behind the first under the enqueue policy', async () => {
      engine = await boot({ concurrency: 'enqueue' });
      model.script([{ ...textReply('first answer'), delayMs: 20 }, textReply('second answer')]);
      const first = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'first' } });
      const second = await engine.tasks.create(alice, { agentId: 'calc', conversationId: first.conversationId, input: { text: 'second' } });
      expect(second.state).toBe('pending');
      await followToEnd(engine, alice, second.id);
      const [a, b] = [await engine.tasks.get(alice, first.id), await engine.tasks.get(alice, second.id)];
      expect([a.state, b.state, a.error]).toEqual(['succeeded', 'succeeded', undefined]);
      expect(b.startedAt!).toBeGreaterThanOrEqual(a.finishedAt!);
      const history = await engine.conversations.messages(alice, first.conversationId);
      expect(history.map((m) => m.content)).toEqual(['first', 'second', 'first answer', 'second answer'].sort((x, y) => order(x) - order(y)));
    });

    it('interrupts the running task for a new one under the interrupt policy, keeping its partial answer', async () => {
      engine = await boot();
      model.script([{ chunks: [chunk.text('half an ')], stall: true }, textReply('the new answer')]);
      const first = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'first' } });
      await waitForEvent(engine, alice, first.id, (e) => e.type === 'message.delta');
      const second = await engine.tasks.create(alice, { agentId: 'calc', conversationId: first.conversationId, input: { text: 'second' }, concurrency: 'interrupt' });
      // By the time the new task exists, the old one has ended, its log closed.
      const stopped = await engine.tasks.get(alice, first.id);
      expect(stopped.state).toBe('cancelled');
      expect((await engine.tasks.read(alice, first.id, 0, 100)).events.at(-1)).toMatchObject({ type: 'task.finished', data: { state: 'cancelled' } });
      expect((await followToEnd(engine, alice, second.id)).at(-1)).toMatchObject({ data: { state: 'succeeded' } });
      const history = await engine.conversations.messages(alice, first.conversationId);
      expect(history.map((m) => [m.role, m.content])).toEqual([
        ['user', 'first'],
        ['assistant', 'half an '],
        ['user', 'second'],
        ['assistant', 'the new answer'],
      ]);
    });

    it('is never held up in line by a task that will not run (a create or a run that died half-way)', async () => {
      engine = await boot({ concurrency: 'enqueue' });
      const conversation = await engine.conversations.create(alice, { agentId: 'calc' });
      // What a process killed between taking a place in line and storing its task leaves behind.
      await storeOf(engine).indexAdd(queueOf({ ...alice, conversationId: conversation.id }), 'task_never_stored', Date.now() - 1_000);
      model.script([textReply('not blocked')]);
      const task = await engine.tasks.create(alice, { agentId: 'calc', conversationId: conversation.id, input: { text: 'go' } });
      expect((await followToEnd(engine, alice, task.id)).at(-1)).toMatchObject({ data: { state: 'succeeded' } });
    });

    it('gives back its slot and its place in line when a create is refused part-way', async () => {
      engine = await boot({ concurrency: 'enqueue' });
      model.script([{ chunks: [chunk.text('busy')], stall: true }, textReply('after')]);
      const slot = ['user:acme/alice'];
      const holder = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'holds the user slot' }, exclusive: slot });
      await waitForEvent(engine, alice, holder.id, (e) => e.type === 'message.delta');
      const conversation = await engine.conversations.create(alice, { agentId: 'calc' });
      // Refused on the exclusive slot after the conversation's line was reached: nothing of it may stay in line.
      await expect(engine.tasks.create(alice, { agentId: 'calc', conversationId: conversation.id, input: { text: 'refused' }, exclusive: slot })).rejects.toMatchObject({ code: 'conflict' });
      expect((await storeOf(engine).indexRange(queueOf({ ...alice, conversationId: conversation.id }), { offset: 0, limit: 10 })).total).toBe(0);
      await engine.tasks.cancel(alice, holder.id);
      const next = await engine.tasks.create(alice, { agentId: 'calc', conversationId: conversation.id, input: { text: 'now' } });
      expect((await followToEnd(engine, alice, next.id)).at(-1)).toMatchObject({ data: { state: 'succeeded' } });
    });

    it('returns the same task for the same idempotency key', async () => {
      engine = await boot();
      model.script([textReply('once')]);
      const first = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'hi' }, idempotencyKey: 'k-1' });
      const again = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'hi' }, idempotencyKey: 'k-1' });
      expect(again.id).toBe(first.id);
      await followToEnd(engine, alice, first.id);
      expect(model.requests.filter((r) => r.body.messages.at(-1).content === 'hi')).toHaveLength(1);
    });

    it("never shows one user another user's task or conversation", async () => {
      engine = await boot();
      model.script([textReply('private')]);
      const task = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'secret' } });
      await followToEnd(engine, alice, task.id);
      // Each attempt starts only when its refusal is awaited, so none rejects unobserved meanwhile.
      for (const attempt of [
        () => engine.tasks.get(bob, task.id),
        () => engine.tasks.cancel(bob, task.id),
        () => engine.tasks.read(bob, task.id, 0, 10),
        () => engine.tasks.follow(bob, task.id, { offset: 0 }, () => undefined),
        () => engine.conversations.get(bob, task.conversationId),
        () => engine.conversations.messages(bob, task.conversationId),
      ]) {
        await expect(attempt()).rejects.toMatchObject({ code: 'not_found' });
      }
      await expect(engine.tasks.create(bob, { agentId: 'calc', conversationId: task.conversationId, input: { text: 'x' } })).rejects.toMatchObject({ code: 'not_found' });
    });

    it('refuses unknown models naming the valid ones, and stale stream epochs', async () => {
      engine = await boot();
      const error = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'x' }, model: 'gpt-9' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).message).toContain('valid models: mock');
      model.script([textReply('ok')]);
      const task = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'x' } });
      await followToEnd(engine, alice, task.id);
      await expect(engine.tasks.follow(alice, task.id, { offset: 0, epoch: 'old-epoch' }, () => undefined)).rejects.toMatchObject({ code: 'epoch_mismatch' });
    });

    it('fails a task with the provider message when the model errors after 200', async () => {
      engine = await boot();
      model.script([{ chunks: [chunk.text('Hal'), chunk.error('model overloaded')] }]);
      const task = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'x' } });
      const events = await followToEnd(engine, alice, task.id);
      expect(events.at(-2)).toMatchObject({ type: 'error' });
      expect(events.at(-1)).toMatchObject({ type: 'task.finished', data: { state: 'failed' } });
      expect((await engine.tasks.get(alice, task.id)).error).toContain('model overloaded');
    });

    it('forgets a finished task and its log after the retention time', async () => {
      engine = await boot({ retention_seconds: 1 });
      model.script([textReply('short-lived')]);
      const task = await engine.tasks.create(alice, { agentId: 'calc', input: { text: 'x' } });
      await followToEnd(engine, alice, task.id);
      expect((await engine.tasks.get(alice, task.id)).state).toBe('succeeded');
      await until(async () => (await engine.tasks.get(alice, task.id).catch(() => undefined)) === undefined, 5_000);
      await expect(engine.tasks.read(alice, task.id, 0, 10)).rejects.toMatchObject({ code: 'not_found' });
      expect(await storeOf(engine).logInfo(task.id)).toBeUndefined();
    });

    it('ends a task whose runner died as failed, with a clear error', async () => {
      // Instance A starts a task and then loses its store for good (a crash);
      // instance B, on the same data, notices the lapsed lease.
      const storeA = await stores.open();
      const a = await startEngine(storeA, testConfig(model.url), 'gw-a');
      model.script([{ chunks: [chunk.text('working')], stall: true }]);
      const task = await a.tasks.create(alice, { agentId: 'calc', input: { text: 'long job' } });
      await waitForEvent(a, alice, task.id, (e) => e.type === 'message.delta');
      a.reaper.stop();
      await storeA.close();
      const survivor = await stores.reopen();
      const b = await startEngine(survivor, testConfig(model.url), 'gw-b');
      opened.push({ engine: b, store: survivor });
      await until(async () => (await b.tasks.get(alice, task.id)).state === 'failed');
      const ended = await b.tasks.get(alice, task.id);
      expect(ended.error).toMatch(/stopped before it finished/);
      const events = await followToEnd(b, alice, task.id);
      expect(events.at(-1)).toMatchObject({ type: 'task.finished', data: { state: 'failed' } });
      await a.stop(0).catch(() => undefined);
    });
  });
}

/** Conversation order for the enqueue test: each question, then its answer. */
function order(text: string): number {
  return ['first', 'first answer', 'second', 'second answer'].indexOf(text);
}
