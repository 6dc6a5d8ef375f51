import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunk, startOpenAIServer, textReply, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import type { TestGateway } from '../support/gateway.js';
import { BOB, client, type Client } from './api.js';
import { pollToEnd, sendAndPoll, type V1Event } from './polling-client.js';
import { alice, startV1Gateway } from './setup.js';

export interface StoreUnderTest {
  kind: 'memory' | 'redis';
  /** Starts the backing server when there is one; returns its URL. */
  start(): Promise<string | undefined>;
  stop(): Promise<void>;
}

const until = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** Polls until an event matching `test` shows up; returns every event seen so far. */
async function waitForEvent(api: Client, taskId: string, test: (e: V1Event) => boolean): Promise<V1Event[]> {
  const seen: V1Event[] = [];
  let offset = 0;
  await until(async () => {
    const poll = await api.get(`/api/v1/tasks/${taskId}`, { query: { from: String(offset) } });
    seen.push(...poll.body.data.events);
    offset = poll.body.data.next_offset;
    return seen.some(test);
  }, `an event in task ${taskId}`);
  return seen;
}

/**
 * The Agents API v1 end to end on one store kind: the real gateway, real
 * HTTP, the local OpenAI-compatible server, and a client that polls like
 * the API's existing clients do.
 */
export function agentsV1StoreSuite(store: StoreUnderTest): void {
  describe(`Agents API v1 on the ${store.kind} store`, () => {
    let model: OpenAIServer;
    let gw: TestGateway;
    let api: Client;
    let bobApi: Client;

    beforeAll(async () => {
      const redisUrl = await store.start();
      model = await startOpenAIServer();
      gw = await startV1Gateway({ store: store.kind, redisUrl, modelUrl: model.url });
      api = client(gw.baseUrl);
      bobApi = client(gw.baseUrl, BOB);
    });
    afterAll(async () => {
      await gw?.stop();
      await model?.close();
      await store.stop();
    });

    it('a polling client gets the whole streamed answer in order, with the tool call and the reasoning', async () => {
      model.script([
        toolCallReply([{ id: 'call_calc', name: 'calculator', arguments: '{"expression": "6*7"}' }]),
        {
          chunks: [
            chunk.reasoning('The tool said 42. '),
            chunk.reasoning('So the answer is 42.'),
            ...textReply('Six times seven is 42: the calculator agrees, and so do I.', { pieces: 6 }).chunks,
          ],
          delayMs: 15,
        },
      ]);
      const run = await sendAndPoll(api, { message: 'What is 6 times 7?', run_mode: 'thinking' });

      expect(run.status).toBe('succeeded');
      expect(run.error).toBeNull();
      expect(run.text).toBe('Six times seven is 42: the calculator agrees, and so do I.');
      const types = run.events.map((e) => e.type);
      expect(types[0]).toBe('ai_message_start');
      expect(types.at(-1)).toBe('task_complete');
      const order = ['tool_preparing', 'tool_intent', 'tool_start', 'update_action', 'thinking_start', 'thinking_end', 'text_start', 'text_chunk', 'text_end', 'task_complete'];
      const positions = order.map((t) => types.indexOf(t));
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);

      const byType = (type: string) => run.events.find((e) => e.type === type)!;
      expect(byType('tool_start').data).toMatchObject({ id: 'call_calc', name: 'calculator', arguments: { expression: '6*7' }, preparing_id: 'call_calc' });
      expect(byType('tool_preparing').data).toMatchObject({ id: 'call_calc', name: 'calculator', intent: 'calculator: expression=6*7' });
      expect(byType('update_action').data).toMatchObject({ id: 'call_calc', preparing_id: 'call_calc', status: 'completed', result: { result: 42 } });
      expect(run.events.filter((e) => e.type === 'thinking_chunk').map((e) => e.data.content).join('')).toBe('The tool said 42. So the answer is 42.');
      expect(byType('thinking_end').data.full_content).toBe('The tool said 42. So the answer is 42.');
      expect(byType('text_end').data.full_content).toBe(run.text);
      // As the original server: the chunks of the reply counted from 1, each with the seconds since the one before.
      const chunks = run.events.filter((e) => e.type === 'text_chunk');
      expect(chunks.map((c) => c.data.index)).toEqual(chunks.map((_, i) => i + 1));
      expect(chunks[0]!.data.elapsed).toBe(0);
      for (const c of chunks) expect(c.data).toEqual({ content: expect.any(String), index: expect.any(Number), elapsed: expect.any(Number) });
      expect(byType('tool_start').data.conversation_id).toBe(run.conversationId);
      expect(byType('task_complete').data).toMatchObject({ total_iterations: 2, total_tool_calls: 1, usage: { total_tokens: 30 } });
      // idx runs 0, 1, 2, … with no gaps, each event exactly once across all polls.
      expect(run.events.map((e) => e.idx)).toEqual(run.events.map((_, i) => i));

      // thinking asked the model for reasoning (the model's reasoning_params were sent).
      expect(model.requests.at(-1)!.body.thinking).toEqual({ type: 'enabled' });
      // The same task and conversation, with every message, as any other API of the same user sees them.
      expect((await gw.gateway.engine.tasks.get(alice, run.taskId)).state).toBe('succeeded');
      const history = await gw.gateway.engine.conversations.messages(alice, run.conversationId);
      expect(history.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
      expect(history[0]!.content).toBe('What is 6 times 7?');
      expect(history[3]!.content).toBe(run.text);

      // Polling again from the end gives nothing new and keeps the offset; from 0 gives the same events.
      const end = await api.get(`/api/v1/tasks/${run.taskId}`, { query: { from: String(run.events.length) } });
      expect(end.body.data).toMatchObject({ status: 'succeeded', events: [], next_offset: run.events.length });
      const again = await api.get(`/api/v1/tasks/${run.taskId}`, { query: { from: 'not-a-number' } });
      expect(again.body.data.events).toEqual(run.events);
    });

    it('a fast message to an existing conversation continues it without asking for reasoning', async () => {
      model.script([textReply('First answer.'), textReply('Second answer.')]);
      const first = await sendAndPoll(api, { message: 'one', run_mode: 'fast' });
      const second = await sendAndPoll(api, { message: 'two', conversation_id: first.conversationId, thinking_mode: true, run_mode: 'fast' });
      expect(second.conversationId).toBe(first.conversationId);
      expect(second.text).toBe('Second answer.');
      const request = model.requests.at(-1)!.body;
      expect(request.thinking).toBeUndefined();
      expect(request.messages.map((m: { content: unknown }) => m.content)).toEqual(expect.arrayContaining(['one', 'First answer.', 'two']));
    });

    it('cancel stops the model call; the log ends with task_stopped and the status is canceled', async () => {
      model.script([{ chunks: [chunk.delta({ role: 'assistant', content: '' }), chunk.text('Partial '), chunk.text('answer')], stall: true }]);
      const sent = await api.post('/api/v1/messages', { json: { message: 'talk slowly' } });
      expect(sent.status).toBe(202);
      const taskId = sent.body.task_id;
      await waitForEvent(api, taskId, (e) => e.type === 'text_chunk' && e.data.content === 'answer');
      // Mid-run, the message is already in the conversation every API of this user reads.
      expect((await gw.gateway.engine.conversations.messages(alice, sent.body.conversation_id)).map((m) => m.content)).toEqual(['talk slowly']);

      const cancelled = await api.post(`/api/v1/tasks/${taskId}/cancel`);
      expect(cancelled).toMatchObject({ status: 200, body: { success: true } });
      const run = await pollToEnd(api, taskId, sent.body.conversation_id);
      expect(run.status).toBe('canceled');
      expect(run.error).toBeNull();
      expect(run.text).toBe('Partial answer');
      expect(run.events.at(-1)).toMatchObject({ type: 'task_stopped', data: { message: expect.any(String), reason: 'user_cancel' } });
      expect(run.events.find((e) => e.type === 'text_end')?.data.full_content).toBe('Partial answer');
      expect(await model.requests.at(-1)!.outcome).toBe('client-closed');

      // Cancelling a finished task is harmless.
      expect(await api.post(`/api/v1/tasks/${taskId}/cancel`)).toMatchObject({ status: 200, body: { success: true } });
      expect((await api.get(`/api/v1/tasks/${taskId}`)).body.data.status).toBe('canceled');
    });

    it('a second message while one runs is refused with 409, for that user only', async () => {
      model.script([{ chunks: [chunk.text('busy')], stall: true }]);
      const first = await api.post('/api/v1/messages', { json: { message: 'long job' } });
      expect(first.status).toBe(202);
      const before = (await gw.gateway.engine.conversations.list(alice, { offset: 0, limit: 1 })).total;

      const second = await api.post('/api/v1/messages', { json: { message: 'another job' } });
      expect(second.status).toBe(409);
      expect(second.body).toEqual({ success: false, error: expect.any(String) });
      const sameConversation = await api.post('/api/v1/messages', { json: { message: 'more', conversation_id: first.body.conversation_id } });
      expect(sameConversation.status).toBe(409);
      // The refused message left no empty conversation behind.
      expect((await gw.gateway.engine.conversations.list(alice, { offset: 0, limit: 1 })).total).toBe(before);

      // Another user is not blocked (on the offline demo model).
      const other = await sendAndPoll(bobApi, { message: 'hello', model_key: 'demo' });
      expect(other.status).toBe('succeeded');

      await waitForEvent(api, first.body.task_id, (e) => e.type === 'text_chunk');
      await api.post(`/api/v1/tasks/${first.body.task_id}/cancel`);
      model.script([textReply('Free again.')]);
      expect((await sendAndPoll(api, { message: 'now?' })).text).toBe('Free again.');
    });

    it('of concurrent messages from one user exactly one starts', async () => {
      model.script([{ chunks: [chunk.text('only one')], stall: true }]);
      const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => api.post('/api/v1/messages', { json: { message: `race ${i}` } })));
      const started = replies.filter((r) => r.status === 202);
      expect(started).toHaveLength(1);
      expect(replies.filter((r) => r.status === 409)).toHaveLength(4);
      // Let the run reach the model (consuming its scripted reply) before stopping it.
      await waitForEvent(api, started[0]!.body.task_id, (e) => e.type === 'text_chunk');
      await api.post(`/api/v1/tasks/${started[0]!.body.task_id}/cancel`);
      expect((await api.get(`/api/v1/tasks/${started[0]!.body.task_id}`)).body.data.status).toBe('canceled');
    });

    it("another user's task or conversation is a 404, never its data", async () => {
      model.script([textReply('private answer')]);
      const run = await sendAndPoll(api, { message: 'secret' });
      expect(run.text).toBe('private answer');
      for (const reply of [
        await bobApi.get(`/api/v1/tasks/${run.taskId}`),
        await bobApi.post(`/api/v1/tasks/${run.taskId}/cancel`),
      ]) {
        expect(reply.status).toBe(404);
        expect(reply.body).toEqual({ success: false, error: '任务不存在' });
      }
      const intoAlice = await bobApi.post('/api/v1/messages', { json: { message: 'let me in', conversation_id: run.conversationId, model_key: 'demo' } });
      expect(intoAlice.status).toBe(404);
      expect(intoAlice.body).toEqual({ success: false, error: '对话不存在' });
      expect(await gw.gateway.engine.conversations.messages(alice, run.conversationId)).toHaveLength(2);
    });

    it('files: upload, list, download a file and a folder, each user in their own folder', async () => {
      const form = new FormData();
      form.append('file', new Blob(['hello, agents v1']), 'hello.txt');
      form.append('dir', 'inputs/day1');
      const up = await api.post('/api/v1/files/upload', { form });
      expect(up.status).toBe(200);
      expect(up.body).toEqual({
        success: true,
        path: 'inputs/day1/hello.txt',
        filename: 'hello.txt',
        size: 16,
        sha256: createHash('sha256').update('hello, agents v1').digest('hex'),
      });
      const renamed = new FormData();
      renamed.append('file', new Blob(['报告内容']), 'ignored.bin');
      renamed.append('filename', '报告.txt');
      renamed.append('dir', 'inputs');
      expect((await api.post('/api/v1/files/upload', { form: renamed })).body).toMatchObject({ path: 'inputs/报告.txt', filename: '报告.txt' });

      const root = await api.get('/api/v1/files');
      expect(root.body).toMatchObject({ success: true, base: '.', items: [{ name: 'inputs', is_dir: true, path: 'inputs' }] });
      const inputs = await api.get('/api/v1/files', { query: { path: 'user_upload/inputs' } });
      expect(inputs.body.base).toBe('inputs');
      expect(inputs.body.items.map((i: { path: string }) => i.path)).toEqual(['inputs/day1', 'inputs/报告.txt']);
      const one = await api.get('/api/v1/files', { query: { path: 'inputs/day1/hello.txt' } });
      expect(one.body).toMatchObject({ base: 'inputs/day1', items: [{ name: 'hello.txt', is_dir: false, size: 16 }] });

      const file = await api.get('/api/v1/files/download', { query: { path: 'inputs/day1/hello.txt' } });
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe('application/octet-stream');
      expect(file.headers.get('content-disposition')).toContain('attachment; filename="hello.txt"');
      expect(file.bytes.toString()).toBe('hello, agents v1');
      const unicode = await api.get('/api/v1/files/download', { query: { path: 'inputs/报告.txt' } });
      expect(unicode.headers.get('content-disposition')).toContain("filename*=UTF-8''%E6%8A%A5%E5%91%8A.txt");

      const folder = await api.get('/api/v1/files/download', { query: { path: 'inputs' } });
      expect(folder.status).toBe(200);
      expect(folder.headers.get('content-type')).toBe('application/zip');
      expect(folder.headers.get('content-disposition')).toContain('filename="inputs.zip"');
      const zipFile = join(mkdtempSync(join(tmpdir(), 'v1-zip-')), 'inputs.zip');
      writeFileSync(zipFile, folder.bytes);
      expect(execFileSync('unzip', ['-Z1', zipFile], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(['inputs/day1/hello.txt', 'inputs/报告.txt']);
      expect(execFileSync('unzip', ['-p', zipFile, 'inputs/day1/hello.txt'], { encoding: 'utf8' })).toBe('hello, agents v1');

      // Bob has his own, empty folder and cannot reach Alice's files.
      expect((await bobApi.get('/api/v1/files')).body.items).toEqual([]);
      const missing = await bobApi.get('/api/v1/files/download', { query: { path: 'inputs/day1/hello.txt' } });
      expect(missing).toMatchObject({ status: 404, body: { success: false, error: '文件不存在' } });
      expect((await bobApi.get('/api/v1/files', { query: { path: 'inputs' } })).status).toBe(404);
    });

    it('every file endpoint (and message images) refuses paths that leave the folder with 400', async () => {
      const rootDir = await gw.gateway.engine.workspace.root(alice, 'user_upload');
      const outside = mkdtempSync(join(tmpdir(), 'v1-outside-'));
      writeFileSync(join(outside, 'secret.png'), 'not yours');
      mkdirSync(join(rootDir, 'links'), { recursive: true });
      symlinkSync(outside, join(rootDir, 'links', 'out'));
      symlinkSync(join(outside, 'secret.png'), join(rootDir, 'links', 'secret.png'));

      const escapes = ['../', '../../etc/passwd', '/etc/passwd', '%2e%2e/%2e%2e/etc', '%252e%252e%252fetc', '..\\..\\etc', 'inputs/../../x', 'links/out', 'links/out/secret.png', 'links/secret.png'];
      for (const path of escapes) {
        for (const [what, reply] of [
          ['list', await api.get('/api/v1/files', { query: { path } })],
          ['download', await api.get('/api/v1/files/download', { query: { path } })],
        ] as const) {
          expect({ what, path, status: reply.status }).toEqual({ what, path, status: 400 });
          expect(reply.body.success).toBe(false);
        }
        const form = new FormData();
        form.append('file', new Blob(['x']), 'x.txt');
        form.append('dir', path);
        const up = await api.post('/api/v1/files/upload', { form });
        expect({ what: 'upload dir', path, status: up.status }).toEqual({ what: 'upload dir', path, status: 400 });
      }
      for (const filename of ['../evil.txt', '..', 'a/b.txt', '..%2fevil.txt', '%2e%2e', 'C:\\evil.txt']) {
        const form = new FormData();
        form.append('file', new Blob(['x']), 'x.txt');
        form.append('filename', filename);
        const up = await api.post('/api/v1/files/upload', { form });
        expect({ filename, status: up.status }).toEqual({ filename, status: 400 });
      }
      for (const image of ['../secret.png', '/etc/secret.png', 'links/secret.png', 'links/out/secret.png', '%2e%2e/secret.png']) {
        const sent = await api.post('/api/v1/messages', { json: { message: 'look', images: [image] } });
        expect({ image, status: sent.status }).toEqual({ image, status: 400 });
      }
      expect(model.requests.filter((r) => JSON.stringify(r.body).includes('not yours'))).toEqual([]);
    });

    it('message images are read from the workspace and sent to the model as image parts', async () => {
      const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
      const form = new FormData();
      form.append('file', new Blob([png]), 'dot.png');
      form.append('dir', 'pics');
      expect((await api.post('/api/v1/files/upload', { form })).status).toBe(200);
      model.script([textReply('A single pixel.')]);
      const run = await sendAndPoll(api, { images: ['user_upload/pics/dot.png'] });
      expect(run.text).toBe('A single pixel.');
      const user = model.requests.at(-1)!.body.messages.find((m: { role: string }) => m.role === 'user');
      expect(JSON.stringify(user.content)).toContain(`data:image/png;base64,${png.toString('base64')}`);

      // The task keeps a reference, not the bytes; they are read each time a prompt is built.
      const alice = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' } as const;
      const task = await gw.gateway.engine.tasks.get(alice, run.taskId);
      expect(task.input.images).toEqual([{ area: 'user_upload', path: 'pics/dot.png', mediaType: 'image/png' }]);
      expect(JSON.stringify(task)).not.toContain(png.toString('base64'));
      await rm(await gw.gateway.engine.workspace.resolve(alice, 'pics/dot.png', 'user_upload'));
      model.script([textReply('It is gone.')]);
      await sendAndPoll(api, { message: 'and now?', conversation_id: run.conversationId });
      const history = JSON.stringify(model.requests.at(-1)!.body.messages);
      expect(history).toContain('[image pics/dot.png is no longer available]');
      expect(history).not.toContain(png.toString('base64'));
    });
  });
}
