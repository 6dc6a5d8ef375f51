import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/engine/records.js';
import { chunk, startOpenAIServer, textReply, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { loggedIn, startBeeGateway, type BeeClient } from './client.js';

/**
 * Executions through the OpenBee API as its web client reads them. Tasks
 * are started through the Agents API v1 (same users, same engine), which
 * also shows that an execution is the very task any other API shows.
 */

const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Gateway = Awaited<ReturnType<typeof startBeeGateway>>;

/** `POST /api/v1/messages` as alice (or bob): the task's id and its conversation's. */
async function sendV1(gw: Gateway, message: string, options: { conversationId?: string; token?: string } = {}) {
  const response = await fetch(`${gw.baseUrl}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.token ?? 'demo-token-alice'}`, 'content-type': 'application/json' },
    body: JSON.stringify({ message, ...(options.conversationId ? { conversation_id: options.conversationId } : {}) }),
  });
  const body = (await response.json()) as { task_id: string; conversation_id: string };
  if (response.status !== 202) throw new Error(`v1 send: ${response.status} ${JSON.stringify(body)}`);
  return { taskId: body.task_id, conversationId: body.conversation_id };
}

async function cancelV1(gw: Gateway, taskId: string): Promise<void> {
  const response = await fetch(`${gw.baseUrl}/api/v1/tasks/${taskId}/cancel`, { method: 'POST', headers: { authorization: 'Bearer demo-token-alice' } });
  if (response.status !== 200) throw new Error(`v1 cancel: ${response.status}`);
}

/** Polls the execution until `done` says so (the web client polls every 2 s; faster here). */
async function waitFor(bee: BeeClient, id: string, done: (execution: Record<string, unknown>, log: string) => boolean) {
  for (let i = 0; i < 300; i++) {
    const execution = await bee.get(`/executions/${id}`);
    const log = await bee.get(`/executions/${id}/logs`);
    if (execution.status === 200 && done(execution.body, log.text)) return { execution: execution.body, log };
    await sleep(30);
  }
  throw new Error(`timed out waiting on execution ${id}`);
}

const finished = (e: Record<string, unknown>) => e.status === 'completed' || e.status === 'failed';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the log line holds
type LogLine = Record<string, any>;

/** Each line parsed as the web client does: every line is one JSON event. */
function logLines(text: string): LogLine[] {
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

const EXECUTION_KEYS = ['ai_process_pid', 'completed_at', 'id', 'log_path', 'logs', 'result', 'session_id', 'started_at', 'status', 'trigger_input', 'worker_id', 'worker_name'];

function executionSuite(kind: 'memory' | 'redis'): void {
  describe(`OpenBee executions on the ${kind} store`, () => {
    let model: OpenAIServer;
    let redis: RedisServer | undefined;
    let gw: Gateway;
    let bee: BeeClient;

    beforeAll(async () => {
      model = await startOpenAIServer();
      redis = kind === 'redis' ? await startRedis() : undefined;
      gw = await startBeeGateway({ modelUrl: model.url, store: kind, redisUrl: redis?.url });
      bee = await loggedIn(gw.api);
    });
    afterAll(async () => {
      await gw?.stop();
      await model?.close();
      await redis?.stop();
    });

    it('a tool-using run: every field the web client reads, and a log it renders line by line', async () => {
      model.script([toolCallReply([{ id: 'call_calc', name: 'calculator', arguments: '{"expression": "6*7"}' }]), textReply('Six times seven is 42.')]);
      const { taskId, conversationId } = await sendV1(gw, 'What is 6 times 7?');
      const { execution, log } = await waitFor(bee, taskId, finished);

      expect(Object.keys(execution).sort()).toEqual(EXECUTION_KEYS);
      expect(execution).toEqual({
        id: taskId,
        worker_id: 'demo-agent',
        worker_name: 'Demo agent',
        session_id: conversationId,
        trigger_input: 'What is 6 times 7?',
        status: 'completed',
        result: 'Six times seven is 42.',
        logs: null,
        ai_process_pid: null,
        log_path: `/api/executions/${taskId}/logs`,
        started_at: expect.any(Number),
        completed_at: expect.any(Number),
      });
      expect(execution.completed_at).toBeGreaterThanOrEqual(execution.started_at);
      // Milliseconds, not seconds.
      expect(execution.started_at).toBeGreaterThan(Date.now() - 60_000);
      expect(execution.started_at).toBeLessThanOrEqual(Date.now());

      expect(log.status).toBe(200);
      expect(log.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(log.headers.get('cache-control')).toBe('public, max-age=3600');
      const lines = logLines(log.text);
      const at = (test: (l: LogLine) => boolean) => lines.findIndex(test);
      const block = (l: LogLine) => l.message?.content?.[0];
      const toolUse = at((l) => l.type === 'assistant' && block(l)?.type === 'tool_use');
      const toolResult = at((l) => l.type === 'user' && block(l)?.type === 'tool_result');
      const text = at((l) => l.type === 'assistant' && block(l)?.type === 'text');
      expect(block(lines[toolUse]!)).toEqual({ type: 'tool_use', id: 'call_calc', name: 'calculator', input: { expression: '6*7' } });
      expect(block(lines[toolResult]!)).toMatchObject({ type: 'tool_result', tool_use_id: 'call_calc', is_error: false });
      expect(typeof block(lines[toolResult]!).content).toBe('string');
      expect(block(lines[toolResult]!).content).toContain('42');
      expect(block(lines[text]!)).toEqual({ type: 'text', text: 'Six times seven is 42.' });
      expect(lines.at(-1)).toMatchObject({ type: 'result', subtype: 'success', result: 'Six times seven is 42.' });
      expect(0 <= toolUse && toolUse < toolResult && toolResult < text && text < lines.length - 1).toBe(true);
      // Exactly one result line, and each content-bearing line has a one-block message.
      expect(lines.filter((l) => l.type === 'result')).toHaveLength(1);
      for (const l of lines) if (l.type === 'assistant' || l.type === 'user') expect(l.message.content).toHaveLength(1);

      // The very task the engine (and so every other API) has.
      expect((await gw.gateway.engine.tasks.get(alice, taskId)).state).toBe('succeeded');
      // A finished log reads the same every time.
      expect((await bee.get(`/executions/${taskId}/logs`)).text).toBe(log.text);
    });

    it('the log only grows while the task runs; a cancelled execution is failed with its reason', async () => {
      model.script([
        toolCallReply([{ id: 'call_time', name: 'current_time', arguments: '{}' }]),
        { chunks: [chunk.delta({ role: 'assistant', content: '' }), chunk.text('Let me think')], stall: true },
      ]);
      const { taskId } = await sendV1(gw, 'What time is it?');
      const running = await waitFor(bee, taskId, (_e, log) => log.includes('"tool_result"'));
      expect(running.execution).toMatchObject({ status: 'running', result: null, completed_at: null });
      expect(running.log.headers.get('cache-control')).toBe('no-cache');
      const during = logLines(running.log.text);
      expect(during.some((l) => l.type === 'result')).toBe(false);
      expect(during.find((l) => l.type === 'assistant')?.message.content[0]).toMatchObject({ type: 'tool_use', id: 'call_time', name: 'current_time', input: {} });

      // Let the stalled turn's text reach the log (deltas are not log lines) before cancelling.
      for (let i = 0; i < 300; i++) {
        const { events } = await gw.gateway.engine.tasks.read(alice, taskId, 0, 1000);
        if (events.some((e) => e.type === 'message.delta')) break;
        await sleep(20);
      }
      // Polling again while it runs: the earlier bytes are a prefix of the later ones.
      const again = await bee.get(`/executions/${taskId}/logs`);
      expect(again.headers.get('cache-control')).toBe('no-cache');
      expect(again.text.startsWith(running.log.text)).toBe(true);

      await cancelV1(gw, taskId);
      const ended = await waitFor(bee, taskId, finished);
      expect(ended.execution).toMatchObject({ status: 'failed', result: 'cancelled by request', completed_at: expect.any(Number) });
      expect(ended.log.text.startsWith(again.text)).toBe(true);
      expect(ended.log.text.length).toBeGreaterThan(again.text.length);
      expect(ended.log.headers.get('cache-control')).toBe('public, max-age=3600');
      const after = logLines(ended.log.text);
      // The partial answer is kept as a text line, then the result says why it ended.
      expect(after.find((l) => l.type === 'assistant' && l.message.content[0].type === 'text')?.message.content[0].text).toBe('Let me think');
      expect(after.at(-1)).toEqual({ type: 'result', subtype: 'error', is_error: true, result: 'cancelled by request' });
    });

    it('a run whose model call fails is failed, with the error as its result and in the log', async () => {
      model.script([{ status: 403, body: { error: { message: 'the model refused the request', type: 'permission_error' } } }]);
      const { taskId } = await sendV1(gw, 'break, please');
      const { execution, log } = await waitFor(bee, taskId, finished);
      expect(execution.status).toBe('failed');
      expect(typeof execution.result).toBe('string');
      expect(execution.result).toContain('the model refused the request');
      expect(execution.result).toBe((await gw.gateway.engine.tasks.get(alice, taskId)).error);
      expect(logLines(log.text).at(-1)).toEqual({ type: 'result', subtype: 'error', is_error: true, result: execution.result });
      expect(log.headers.get('cache-control')).toBe('public, max-age=3600');
    });

    it('lists: newest first, per worker and per session, plain or paged', async () => {
      model.script([textReply('one.'), textReply('two.'), textReply('three.')]);
      const first = await sendV1(gw, 'first');
      await waitFor(bee, first.taskId, finished);
      const ids = [first.taskId];
      for (const message of ['second', 'third']) {
        const sent = await sendV1(gw, message, { conversationId: first.conversationId });
        await waitFor(bee, sent.taskId, finished);
        ids.push(sent.taskId);
      }
      const newestFirst = [...ids].reverse();

      const session = await bee.get(`/sessions/${first.conversationId}/executions`);
      expect(session.status).toBe(200);
      expect(Array.isArray(session.body)).toBe(true);
      expect(session.body.map((e: { id: string }) => e.id)).toEqual(newestFirst);
      expect(session.body.map((e: { trigger_input: string }) => e.trigger_input)).toEqual(['third', 'second', 'first']);
      expect(session.body.map((e: { result: string }) => e.result)).toEqual(['three.', 'two.', 'one.']);
      for (const e of session.body) expect(Object.keys(e).sort()).toEqual(EXECUTION_KEYS);

      const all = await bee.get('/executions');
      expect(Array.isArray(all.body)).toBe(true);
      expect(all.body.slice(0, 3).map((e: { id: string }) => e.id)).toEqual(newestFirst);
      const times = all.body.map((e: { started_at: number }) => e.started_at);
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const worker = await bee.get('/workers/demo-agent/executions');
      expect(worker.body.slice(0, 3).map((e: { id: string }) => e.id)).toEqual(newestFirst);
      expect(worker.body.every((e: { worker_id: string }) => e.worker_id === 'demo-agent')).toBe(true);

      const page1 = await bee.get(`/sessions/${first.conversationId}/executions`, { query: { page: '1', page_size: '2' } });
      expect(page1.body).toEqual({ items: [expect.objectContaining({ id: ids[2] }), expect.objectContaining({ id: ids[1] })], total: 3, page: 1, page_size: 2 });
      const page2 = await bee.get(`/sessions/${first.conversationId}/executions`, { query: { page: '2', page_size: '2' } });
      expect(page2.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], total: 3, page: 2, page_size: 2 });
      const beyond = await bee.get(`/sessions/${first.conversationId}/executions`, { query: { page: '9' } });
      expect(beyond.body).toEqual({ items: [], total: 3, page: 9, page_size: 20 });
      const paged = await bee.get('/executions', { query: { page_size: '1000' } });
      expect(paged.body).toMatchObject({ page: 1, page_size: 100, total: all.body.length });
      expect(paged.body.items.map((e: { id: string }) => e.id)).toEqual(all.body.map((e: { id: string }) => e.id));
    });

    it('bad paging values are a 400 with an error, never a 500', async () => {
      const queries: Record<string, string>[] = [{ page: '0' }, { page: '-1' }, { page: 'abc' }, { page: '' }, { page_size: '0' }, { page_size: '1.5' }, { page: '1e3' }, { page: '99999999999999999999' }];
      for (const query of queries) {
        for (const path of ['/executions', '/workers/demo-agent/executions']) {
          const reply = await bee.get(path, { query });
          expect(reply.status, `${path} ${JSON.stringify(query)}`).toBe(400);
          expect(reply.body).toEqual({ error: expect.stringMatching(/^page(_size)? must be a positive integer/) });
        }
      }
    });

    it('unknown ids are 404s in the {error} shape', async () => {
      const cases: Array<[string, string]> = [
        ['/executions/task_does-not-exist', 'execution not found'],
        ['/executions/task_does-not-exist/logs', 'execution not found'],
        ['/workers/no-such-worker/executions', 'worker not found'],
        ['/sessions/no-such-session/executions', 'session not found'],
      ];
      for (const [path, error] of cases) {
        const reply = await bee.get(path);
        expect(reply.status, path).toBe(404);
        expect(reply.body).toEqual({ error });
      }
      const anonymous = await bee.get('/executions', { token: null });
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toEqual({ error: expect.any(String) });
    });

    it("another user's execution, log and session are 404s, and never in their lists", async () => {
      model.script([textReply('for alice only')]);
      const { taskId, conversationId } = await sendV1(gw, 'private');
      await waitFor(bee, taskId, finished);
      const bob = await loggedIn(gw.api, 'bob');
      expect(await bob.get(`/executions/${taskId}`)).toMatchObject({ status: 404, body: { error: 'execution not found' } });
      const log = await bob.get(`/executions/${taskId}/logs`);
      expect(log).toMatchObject({ status: 404, body: { error: 'execution not found' } });
      expect(log.text).not.toContain('for alice only');
      expect(await bob.get(`/sessions/${conversationId}/executions`)).toMatchObject({ status: 404, body: { error: 'session not found' } });
      // Bob's own task (on the offline demo model) is in his list; Alice's is not.
      const own = await fetch(`${gw.baseUrl}/api/v1/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo-token-bob', 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'mine', model_key: 'demo' }),
      }).then((r) => r.json() as Promise<{ task_id: string }>);
      const bobs = (await bob.get('/executions')).body.map((e: { id: string }) => e.id);
      expect(bobs).toContain(own.task_id);
      expect(bobs).not.toContain(taskId);
      expect((await bob.get('/workers/demo-agent/executions')).body.map((e: { id: string }) => e.id)).not.toContain(taskId);
    });

    it('structured outputs are the result as JSON; a deleted worker leaves its executions without a name', async () => {
      const { engine } = gw.gateway;
      const agent = await engine.directory.createAgent(alice, {
        name: 'Short-lived worker',
        model: 'demo',
        outputs: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
      });
      const task = await engine.tasks.create(alice, { agentId: agent.id, input: { text: 'ask', values: { question: 'ask' } } });
      const done = await waitFor(bee, task.id, finished);
      expect(done.execution).toMatchObject({ status: 'completed', worker_id: agent.id, worker_name: 'Short-lived worker' });
      const outputs = (await engine.tasks.get(alice, task.id)).outputs;
      expect(outputs).toBeTypeOf('object');
      expect(done.execution.result).toBe(JSON.stringify(outputs));

      await engine.directory.deleteAgent(alice, agent.id);
      const after = await bee.get(`/executions/${task.id}`);
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ id: task.id, worker_id: agent.id, worker_name: null, status: 'completed' });
      expect(await bee.get(`/workers/${agent.id}/executions`)).toMatchObject({ status: 404, body: { error: 'worker not found' } });
    });
  });
}

executionSuite('memory');
executionSuite('redis');
