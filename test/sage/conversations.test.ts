import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import type { TestGateway } from '../support/gateway.js';
import { asDemoUser, SageClient, startSageGateway } from './client.js';

let model: OpenAIServer;
let gw: TestGateway;
let alice: SageClient;
let bob: SageClient;

beforeAll(async () => {
  model = await startOpenAIServer({ fallback: textReply('fine') });
  gw = await startSageGateway({ modelUrl: model.url, configure: (raw) => (raw.dialects.sage.jaeger_url = 'http://jaeger.local:16686/') });
  alice = asDemoUser(gw, 'alice');
  bob = asDemoUser(gw, 'bob');
});
afterAll(async () => {
  await gw.stop();
  await model.close();
});

/** Starts a chat turn through the Agents API v1 (Sage's own chat routes are elsewhere): its conversation and task. */
async function chat(who: 'alice' | 'bob', message: string, conversationId?: string): Promise<{ conversation_id: string; task_id: string }> {
  const response = await fetch(`${gw.baseUrl}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer demo-token-${who}`, 'content-type': 'application/json' },
    body: JSON.stringify(conversationId ? { message, conversation_id: conversationId } : { message }),
  });
  expect(response.status).toBe(202);
  return (await response.json()) as { conversation_id: string; task_id: string };
}

async function chatToEnd(who: 'alice' | 'bob', message: string, conversationId?: string) {
  const sent = await chat(who, message, conversationId);
  await gw.gateway.engine.runner.settled(sent.task_id);
  return sent;
}

describe('Sage conversations', () => {
  let first: string;
  let second: string;
  let bobs: string;

  beforeAll(async () => {
    first = (await chatToEnd('alice', 'Planning the garden party')).conversation_id;
    await chatToEnd('alice', 'And the music?', first);
    second = (await chatToEnd('alice', 'Tax questions')).conversation_id;
    bobs = (await chatToEnd('bob', 'Bob private notes')).conversation_id;
  });

  it('lists the caller’s conversations, newest activity first, with counts and ISO times', async () => {
    const reply = await alice.get('/api/conversations');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ success: true, code: 200, message: 'success' });
    const data = reply.body.data;
    expect(data).toMatchObject({ total: 2, page: 1, page_size: 20, total_pages: 1, has_next: false, has_prev: false });
    expect(data.list.map((i: { session_id: string }) => i.session_id)).toEqual([second, first]);
    const item = data.list[1];
    expect(item).toEqual({
      session_id: first,
      user_id: expect.any(String),
      agent_id: 'demo-agent',
      agent_name: expect.any(String),
      title: 'Planning the garden party',
      message_count: 4,
      user_count: 2,
      agent_count: 2,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      trace_url: `http://jaeger.local:16686/search?service=switchboard&tags=${encodeURIComponent(JSON.stringify({ session_id: first }))}`,
    });
    expect(item.agent_name.length).toBeGreaterThan(0);
    const bobList = await bob.get('/api/conversations');
    expect(bobList.body.data.list.map((i: { session_id: string }) => i.session_id)).toEqual([bobs]);
    expect(bobList.body.data.list[0].user_id).not.toBe(item.user_id);
  });

  it('pages, searches, filters by agent and sorts', async () => {
    const paged = await alice.get('/api/conversations', { query: { page: '2', page_size: '1' } });
    expect(paged.body.data).toMatchObject({ total: 2, page: 2, page_size: 1, total_pages: 2, has_next: false, has_prev: true });
    expect(paged.body.data.list.map((i: { session_id: string }) => i.session_id)).toEqual([first]);
    const searched = await alice.get('/api/conversations', { query: { search: 'GARDEN' } });
    expect(searched.body.data.list.map((i: { session_id: string }) => i.session_id)).toEqual([first]);
    expect(searched.body.data.total).toBe(1);
    const byTitle = await alice.get('/api/conversations', { query: { sort_by: 'title' } });
    expect(byTitle.body.data.list.map((i: { title: string }) => i.title)).toEqual(['Planning the garden party', 'Tax questions']);
    const otherAgent = await alice.get('/api/conversations', { query: { agent_id: 'no-such-agent' } });
    expect(otherAgent.body.data).toMatchObject({ list: [], total: 0, total_pages: 0, has_next: false });
  });

  it('refuses bad paging and sorting with a 400 in Sage’s envelope', async () => {
    const cases: Record<string, string>[] = [{ page: '0' }, { page: 'x' }, { page_size: '101' }, { sort_by: 'size' }];
    for (const query of cases) {
      const reply = await alice.get('/api/conversations', { query, headers: { 'accept-language': 'en' } });
      expect({ query, status: reply.status }).toEqual({ query, status: 400 });
      expect(reply.body).toMatchObject({ success: false, code: 400, error_detail: 'invalid_argument', message: expect.stringMatching(/page|sort_by/) });
    }
  });

  it('needs a login', async () => {
    const reply = await new SageClient(gw.baseUrl).get('/api/conversations');
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ success: false, code: 401 });
  });

  it('renames a conversation; bad titles and other users’ conversations are refused', async () => {
    const renamed = await alice.post(`/api/conversations/${second}/title`, { title: '  Taxes 2026  ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.data).toEqual({ session_id: second, title: 'Taxes 2026' });
    const listed = await alice.get('/api/conversations', { query: { search: 'taxes 2026' } });
    expect(listed.body.data.list[0].title).toBe('Taxes 2026');

    const blank = await alice.post(`/api/conversations/${second}/title`, { title: '  ' });
    expect(blank).toMatchObject({ status: 400, body: { success: false, code: 400 } });
    const wrongType = await alice.post(`/api/conversations/${second}/title`, { title: 5 });
    expect(wrongType.status).toBe(400);
    const byBob = await bob.post(`/api/conversations/${second}/title`, { title: 'mine now' });
    expect(byBob).toMatchObject({ status: 404, body: { success: false, code: 404, message: '会话不存在' } });
    const unknown = await alice.post('/api/conversations/session_nope/title', { title: 'x' }, { headers: { 'accept-language': 'en' } });
    expect(unknown).toMatchObject({ status: 404, body: { message: 'Conversation not found' } });
    expect((await alice.get('/api/conversations', { query: { search: 'mine now' } })).body.data.total).toBe(0);
  });

  it('reports a session’s tasks', async () => {
    const status = await alice.post(`/api/sessions/${first}/tasks_status`);
    expect(status.status).toBe(200);
    expect(status.body.data).toMatchObject({ session_id: first, status: 'succeeded', is_running: false });
    expect(status.body.data.tasks).toHaveLength(2);
    expect(status.body.data.tasks[0]).toMatchObject({ status: 'succeeded', agent_id: 'demo-agent', model: 'mock', error: null });
    expect(status.body.data.tasks[0].finished_at).toMatch(/Z$/);
    const byBob = await bob.post(`/api/sessions/${first}/tasks_status`);
    expect(byBob).toMatchObject({ status: 404, body: { code: 404 } });
  });

  it('deletes only the caller’s own conversation', async () => {
    const victim = (await chatToEnd('alice', 'Delete me soon')).conversation_id;
    const byBob = await bob.fetch('DELETE', `/api/conversations/${victim}`);
    expect(byBob.status).toBe(404);
    expect((await alice.get('/api/conversations', { query: { search: 'delete me' } })).body.data.total).toBe(1);

    const gone = await alice.call('DELETE', `/api/conversations/${victim}`);
    expect(gone.status).toBe(200);
    expect(gone.body).toMatchObject({ success: true, code: 200, data: { session_id: victim } });
    expect((await alice.get('/api/conversations', { query: { search: 'delete me' } })).body.data.total).toBe(0);
    expect((await alice.post(`/api/sessions/${victim}/tasks_status`)).status).toBe(404);
    const again = await alice.call('DELETE', `/api/conversations/${victim}`);
    expect(again).toMatchObject({ status: 404, body: { success: false, code: 404, message: '会话不存在' } });
  });

  it('lets an admin list and delete another user’s conversations by user_id; a non-admin may not', async () => {
    const bobId: string = (await bob.get('/api/conversations')).body.data.list[0].user_id;
    const aliceId: string = (await alice.get('/api/conversations')).body.data.list[0].user_id;
    const victim = (await chatToEnd('bob', 'Bob spam to remove')).conversation_id;

    const listed = await alice.get('/api/conversations', { query: { user_id: bobId } });
    expect(listed.status).toBe(200);
    expect(listed.body.data.list.map((i: { session_id: string }) => i.session_id)).toEqual([victim, bobs]);
    expect(listed.body.data.list.every((i: { user_id: string }) => i.user_id === bobId)).toBe(true);

    const peek = await bob.get('/api/conversations', { query: { user_id: aliceId } });
    expect(peek).toMatchObject({ status: 403, body: { success: false, code: 403, message: '权限不足' } });
    const bobDeletes = await bob.call('DELETE', `/api/conversations/${first}`, { query: { user_id: aliceId } });
    expect(bobDeletes.status).toBe(403);
    const unknownUser = await alice.get('/api/conversations', { query: { user_id: 'nobody-here' } });
    expect(unknownUser).toMatchObject({ status: 404, body: { code: 404, message: '用户不存在' } });

    // Without user_id an admin reaches only their own: bob's id is not found among alice's.
    expect((await alice.call('DELETE', `/api/conversations/${victim}`)).status).toBe(404);
    const removed = await alice.call('DELETE', `/api/conversations/${victim}`, { query: { user_id: bobId } });
    expect(removed).toMatchObject({ status: 200, body: { data: { session_id: victim } } });
    expect((await bob.get('/api/conversations')).body.data.list.map((i: { session_id: string }) => i.session_id)).toEqual([bobs]);
  });

  it('interrupts the running task of a session: it ends cancelled and the model call stops', async () => {
    model.script([{ ...textReply('one two three four five six seven eight', { pieces: 8 }), delayMs: 200 }]);
    const sent = await chat('alice', 'Tell me a slow story');
    const deadline = Date.now() + 5000;
    while ((await alice.post(`/api/sessions/${sent.conversation_id}/tasks_status`)).body.data.status !== 'running') {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    const byBob = await bob.post(`/api/sessions/${sent.conversation_id}/interrupt`, { message: 'stop' });
    expect(byBob.status).toBe(404);

    const stopped = await alice.post(`/api/sessions/${sent.conversation_id}/interrupt`, { message: '用户停止' });
    expect(stopped.status).toBe(200);
    expect(stopped.body.data).toEqual({ session_id: sent.conversation_id, interrupted: true, task_ids: [sent.task_id], message: '用户停止' });
    await gw.gateway.engine.runner.settled(sent.task_id);
    const status = await alice.post(`/api/sessions/${sent.conversation_id}/tasks_status`);
    expect(status.body.data).toMatchObject({ status: 'cancelled', is_running: false });
    expect(await model.requests.at(-1)!.outcome).toBe('client-closed');

    // Nothing left to stop is not an error (the UI sends this after every stop).
    const idle = await alice.post(`/api/sessions/${sent.conversation_id}/interrupt`);
    expect(idle.body.data).toMatchObject({ interrupted: false, task_ids: [], message: null });
    const badMessage = await alice.post(`/api/sessions/${sent.conversation_id}/interrupt`, { message: 3 });
    expect(badMessage.status).toBe(400);
    expect((await alice.post('/api/sessions/session_nope/interrupt', {})).status).toBe(404);
  });
});

describe('Sage conversation download', () => {
  it('exports the caller’s conversation as a Markdown file; others get a 404', async () => {
    model.script([textReply('Use ```fences``` wisely.')]);
    const { conversation_id: id } = await chatToEnd('alice', 'How do I write «code»?');
    const reply = await alice.get(`/api/sessions/${id}/download`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    // The `?` a file name may not hold becomes `_`; non-ASCII stays in the UTF-8 form.
    expect(reply.headers.get('content-disposition')).toBe(
      `attachment; filename="How do I write _code__.md"; filename*=UTF-8''${encodeURIComponent('How do I write «code»_.md')}`,
    );
    const text = reply.text;
    expect(text).toMatch(/^# How do I write «code»\?\n/);
    expect(text).toContain(`- Session: ${id}\n`);
    expect(text).toContain('- Agent: ');
    expect(text).toMatch(/## User · \d{4}-\d\d-\d\dT[^\n]+\n\nHow do I write «code»\?\n/);
    expect(text).toMatch(/## Assistant · [^\n]+\n\nUse ```fences``` wisely\.\n$/);

    expect((await bob.get(`/api/sessions/${id}/download`)).status).toBe(404);
    const unknown = await alice.get('/api/sessions/session_nope/download');
    expect(unknown).toMatchObject({ status: 404, body: { success: false, code: 404, message: '会话不存在' } });
  });
});
