import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunk, startOpenAIServer, textReply, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import type { TestGateway } from '../support/gateway.js';
import { call, client, type Client } from './api.js';
import { pollToEnd, sendAndPoll } from './polling-client.js';
import { alice, startV1Gateway } from './setup.js';

/** Requests a client can get wrong, limits, and the details of polling, on the memory store. */
describe('Agents API v1 requests', () => {
  let model: OpenAIServer;
  let gw: TestGateway;
  let api: Client;

  beforeAll(async () => {
    model = await startOpenAIServer();
    gw = await startV1Gateway({
      modelUrl: model.url,
      configure: (raw) => {
        raw.server.upload_limit_bytes = 64 * 1024;
      },
    });
    api = client(gw.baseUrl);
  });
  afterAll(async () => {
    await gw?.stop();
    await model?.close();
  });

  const ENDPOINTS: [string, string][] = [
    ['POST', '/api/v1/conversations'],
    ['POST', '/api/v1/messages'],
    ['GET', '/api/v1/tasks/some-task'],
    ['POST', '/api/v1/tasks/some-task/cancel'],
    ['POST', '/api/v1/files/upload'],
    ['GET', '/api/v1/files'],
    ['GET', '/api/v1/files/download'],
  ];

  it('every endpoint needs a bearer token: missing → 缺少 Bearer Token, unknown → 无效的 Token', async () => {
    for (const [method, path] of ENDPOINTS) {
      const missing = await call(gw.baseUrl, method, path, { token: null, json: method === 'POST' ? { message: 'hi' } : undefined });
      expect({ path, status: missing.status, body: missing.body }).toEqual({ path, status: 401, body: { success: false, error: '缺少 Bearer Token' } });
      const unknown = await call(gw.baseUrl, method, path, { token: 'not-a-token' });
      expect({ path, status: unknown.status, body: unknown.body }).toEqual({ path, status: 401, body: { success: false, error: '无效的 Token' } });
    }
    // Only the Authorization header counts: not another scheme, not a query parameter.
    const basic = await call(gw.baseUrl, 'GET', '/api/v1/files', { token: null, headers: { authorization: 'Basic ZGVtbw==' } });
    expect(basic.body.error).toBe('缺少 Bearer Token');
    const query = await call(gw.baseUrl, 'GET', '/api/v1/files', { token: null, query: { token: 'demo-token-alice' } });
    expect(query.status).toBe(401);
  });

  it('conversation ids have the conv_YYYYMMDD_HHMMSS_mmm shape and stay unique under concurrency', async () => {
    const replies = await Promise.all(Array.from({ length: 40 }, () => api.post('/api/v1/conversations')));
    const ids = replies.map((r) => {
      expect(r.status).toBe(200);
      return r.body.conversation_id as string;
    });
    for (const id of ids) expect(id).toMatch(/^conv_\d{8}_\d{6}_\d{3}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // The conversation is the user's own, in the shared engine.
    expect((await gw.gateway.engine.conversations.get(alice, ids[0]!)).agentId).toBe('demo-agent');
  });

  it('refuses malformed messages with 400 and a reason', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /消息不能为空/],
      [{ message: '   ' }, /消息不能为空/],
      [{ message: '', images: [] }, /消息不能为空/],
      [{ message: 'hi', run_mode: 'turbo' }, /run_mode 只支持 fast\/thinking\/deep/],
      [{ message: 'hi', model_key: 'gpt-9' }, /未知的 model_key "gpt-9"，可用: demo, mock/],
      [{ message: 'hi', max_iterations: 0 }, /max_iterations/],
      [{ message: 'hi', max_iterations: 101 }, /max_iterations/],
      [{ message: 'hi', max_iterations: 2.5 }, /字段 max_iterations 类型错误/],
      [{ message: 42 }, /字段 message 类型错误/],
      [{ message: 'hi', images: 'a.png' }, /字段 images 类型错误/],
      [{ message: 'hi', images: [1] }, /字段 images 类型错误/],
      [{ message: 'hi', thinking_mode: 'yes' }, /字段 thinking_mode 类型错误/],
      [{ images: ['notes.txt'] }, /不支持的图片类型/],
      [{ images: ['missing.png'] }, /图片不存在: missing.png/],
      [[{ message: 'hi' }], /JSON 对象/],
    ];
    for (const [json, reason] of cases) {
      const reply = await api.post('/api/v1/messages', { json });
      expect({ json, status: reply.status }).toEqual({ json, status: 400 });
      expect(reply.body.success).toBe(false);
      expect(reply.body.error).toMatch(reason);
    }
    const broken = await api.post('/api/v1/messages', { raw: '{"message": "hi"', contentType: 'application/json' });
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ success: false, error: expect.any(String) });
    const text = await api.post('/api/v1/messages', { raw: 'hello', contentType: 'text/plain' });
    expect(text.status).toBe(400);
    const unknownConversation = await api.post('/api/v1/messages', { json: { message: 'hi', conversation_id: 'conv_20000101_000000_000' } });
    expect(unknownConversation).toMatchObject({ status: 404, body: { success: false, error: '对话不存在' } });
    expect(model.requests).toHaveLength(0);
  });

  it('ignores fields it does not know, as the original server does (newer clients send prompt_name, personalization_name)', async () => {
    const run = await sendAndPoll(api, { message: 'newer client', model_key: 'demo', prompt_name: 'default', personalization_name: 'concise', temperature: 0.2 });
    expect(run.status).toBe('succeeded');
    expect(run.text).toContain('newer client');
  });

  it('accepts null for options left unset, and model_key picks the model', async () => {
    const run = await sendAndPoll(api, {
      message: 'which model?',
      images: null,
      conversation_id: null,
      model_key: 'demo',
      run_mode: null,
      thinking_mode: null,
      max_iterations: null,
    });
    expect(run.status).toBe('succeeded');
    expect(run.text).toContain("Switchboard's demo model");
    expect(run.text).toContain('which model?');
    expect(model.requests).toHaveLength(0);
  });

  it('max_iterations caps the tool loop: the task fails with the reason in `error` and an error event', async () => {
    const call = (n: number) => toolCallReply([{ id: `call_${n}`, name: 'calculator', arguments: `{"expression": "${n}+${n}"}` }]);
    // Exactly the two turns the cap allows: a third request would mean the cap was ignored.
    model.script([call(1), call(2)]);
    const before = model.requests.length;
    const run = await sendAndPoll(api, { message: 'keep calculating', max_iterations: 2 });
    expect(model.requests.length - before).toBe(2);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/2 turns/);
    const last = run.events.at(-1)!;
    expect(last).toMatchObject({ type: 'error', data: { message: run.error } });
    expect(run.events.filter((e) => e.type === 'tool_start')).toHaveLength(1);
  });

  it('a model failure ends the task as failed with the error', async () => {
    model.script([{ status: 403, body: { error: { message: 'the model refuses' } } }]);
    const run = await sendAndPoll(api, { message: 'fail please' });
    expect(run.status).toBe('failed');
    expect(run.error).toContain('the model refuses');
    expect(run.events.map((e) => e.type)).toEqual(['ai_message_start', 'error']);
  });

  it('returns a huge log in pieces, reporting "running" until the client has every event', async () => {
    const words = Array.from({ length: 1300 }, (_, i) => `w${i} `).join('');
    model.script([textReply(words, { pieces: 1300 })]);
    const sent = await api.post('/api/v1/messages', { json: { message: 'long answer' } });
    await gw.gateway.engine.runner.settled(sent.body.task_id);
    expect((await gw.gateway.engine.tasks.get(alice, sent.body.task_id)).state).toBe('succeeded');

    const first = await api.get(`/api/v1/tasks/${sent.body.task_id}`);
    expect(first.body.data.status).toBe('running');
    expect(first.body.data.events.length).toBeGreaterThan(400);
    expect(first.body.data.events.length).toBeLessThan(1300);
    expect(first.body.data.next_offset).toBe(first.body.data.events.at(-1).idx + 1);

    const run = await pollToEnd(api, sent.body.task_id, sent.body.conversation_id, { intervalMs: 0 });
    expect(run.polls).toBeGreaterThanOrEqual(3);
    expect(run.status).toBe('succeeded');
    expect(run.text).toBe(words);
    expect(run.events.at(-1)!.type).toBe('task_complete');
  });

  it('any from a client holds resumes exactly after the events it has', async () => {
    model.script([
      toolCallReply([{ id: 'call_r', name: 'calculator', arguments: '{"expression": "2+2"}' }]),
      textReply('Four.', { pieces: 2 }),
    ]);
    const run = await sendAndPoll(api, { message: '2+2?' });
    const last = run.events.at(-1)!.idx;
    for (let from = 0; from <= last + 1; from++) {
      const page = (await api.get(`/api/v1/tasks/${run.taskId}`, { query: { from: String(from) } })).body.data;
      const expected = run.events.filter((e) => e.idx >= from);
      expect({ from, events: page.events }).toEqual({ from, events: expected });
      expect(page.next_offset).toBe(expected.length ? last + 1 : from);
    }
    for (const from of ['-3', '1e3', '0x10', '']) {
      const page = (await api.get(`/api/v1/tasks/${run.taskId}`, { query: { from } })).body.data;
      expect(page.events).toEqual(run.events);
    }
    // A place the task never had is told as such, never answered as "nothing new" forever.
    expect(await api.get(`/api/v1/tasks/${run.taskId}`, { query: { from: String(last + 2) } })).toMatchObject({
      status: 400,
      body: { success: false, error: `请求参数错误: from 超出范围: 该任务目前共有 ${last + 1} 个事件` },
    });
  });

  it('a client that counts the events it got (from += events.length) gets each exactly once, live', async () => {
    model.script([{ ...textReply('one two three four five six', { pieces: 6 }), delayMs: 40 }]);
    const sent = await api.post('/api/v1/messages', { json: { message: 'count' } });
    const got: { idx: number; type: string }[] = [];
    let from = 0;
    for (let polls = 0; polls < 400; polls++) {
      const data = (await api.get(`/api/v1/tasks/${sent.body.task_id}`, { query: { from: String(from) } })).body.data;
      got.push(...data.events);
      from += data.events.length;
      if (data.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    expect(got.map((e) => e.idx)).toEqual(got.map((_, i) => i));
    expect(got.at(-1)?.type).toBe('task_complete');
    const whole = (await api.get(`/api/v1/tasks/${sent.body.task_id}`, { query: { from: '0' } })).body.data;
    expect(got).toEqual(whole.events);
  });

  it('unknown tasks and routes are 404 in the error shape', async () => {
    expect(await api.get('/api/v1/tasks/task_nope')).toMatchObject({ status: 404, body: { success: false, error: '任务不存在' } });
    expect(await api.post('/api/v1/tasks/task_nope/cancel')).toMatchObject({ status: 404, body: { success: false, error: '任务不存在' } });
    const response = await fetch(`${gw.baseUrl}/api/v1/nothing-here`, { headers: { authorization: 'Bearer demo-token-alice' } });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ success: false, error: expect.any(String) });
  });

  it('file requests a client can get wrong', async () => {
    const noFile = new FormData();
    noFile.append('filename', 'a.txt');
    expect(await api.post('/api/v1/files/upload', { form: noFile })).toMatchObject({ status: 400, body: { success: false, error: '未找到文件' } });
    expect(await api.post('/api/v1/files/upload', { json: { file: 'a' } })).toMatchObject({ status: 400, body: { error: '未找到文件' } });
    const two = new FormData();
    two.append('file', new Blob(['a']), 'a.txt');
    two.append('file', new Blob(['b']), 'b.txt');
    expect((await api.post('/api/v1/files/upload', { form: two })).status).toBe(400);

    const big = new FormData();
    big.append('file', new Blob([Buffer.alloc(80 * 1024, 1)]), 'big.bin');
    const tooBig = await api.post('/api/v1/files/upload', { form: big });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.success).toBe(false);

    expect(await api.get('/api/v1/files/download')).toMatchObject({ status: 400, body: { success: false, error: '缺少 path' } });
    expect(await api.get('/api/v1/files/download', { query: { path: 'nope.txt' } })).toMatchObject({ status: 404, body: { error: '文件不存在' } });
    expect(await api.get('/api/v1/files', { query: { path: 'nope' } })).toMatchObject({ status: 404, body: { error: '文件不存在' } });
    // Nothing of the refused uploads was kept.
    expect((await api.get('/api/v1/files')).body.items).toEqual([]);

    // A file never replaces a folder.
    const inFolder = new FormData();
    inFolder.append('file', new Blob(['a']), 'a.txt');
    inFolder.append('dir', 'taken');
    expect((await api.post('/api/v1/files/upload', { form: inFolder })).status).toBe(200);
    const clash = new FormData();
    clash.append('file', new Blob(['b']), 'taken');
    expect(await api.post('/api/v1/files/upload', { form: clash })).toMatchObject({ status: 400, body: { success: false, error: expect.stringContaining('taken') } });
    expect((await api.get('/api/v1/files', { query: { path: 'taken' } })).body.items).toMatchObject([{ name: 'a.txt' }]);
  });

  it('streams a reasoning-only turn and a tool error as v1 events', async () => {
    model.script([
      toolCallReply([{ id: 'call_bad', name: 'calculator', arguments: '{"expression": "1/0"}' }]),
      { chunks: [chunk.reasoning('Division by zero. '), ...textReply('It cannot be computed.').chunks] },
    ]);
    const run = await sendAndPoll(api, { message: '1/0?', thinking_mode: true });
    expect(run.status).toBe('succeeded');
    expect(run.events.find((e) => e.type === 'update_action')?.data).toMatchObject({ id: 'call_bad', status: 'failed', message: expect.stringContaining('division by zero') });
    expect(model.requests.at(-1)!.body.thinking).toEqual({ type: 'enabled' });
  });
});
