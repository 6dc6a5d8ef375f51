/**
 * Files (upload, metadata, download with the same credentials) and sessions
 * (create, chat as SSE with text and files, space view), each checked
 * against its owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunk, startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import type { TestGateway } from '../support/gateway.js';
import { OTHER_API_KEY, OTHER_TENANT, jsonOf, postStream, startBitAgentGateway, type BitAgentClient } from './client.js';

const UPLOAD_LIMIT = 100_000;
let model: OpenAIServer;
let gw: TestGateway;
let api: BitAgentClient;
let token: string;

beforeAll(async () => {
  model = await startOpenAIServer();
  ({ gw, api } = await startBitAgentGateway({ modelUrl: model.url, extra: (raw) => (raw.server.upload_limit_bytes = UPLOAD_LIMIT) }));
  token = await api.token('files-user');
});
afterAll(async () => {
  await gw?.stop();
  await model?.close();
});

function form(name: string, content: string | Uint8Array, type = 'text/plain', field = 'file'): FormData {
  const data = new FormData();
  data.append(field, new Blob([content], { type }), name);
  return data;
}

const upload = (data: FormData, as = token) => api.call('POST', '/common/file/upload', { token: as, form: data });

describe('files', () => {
  it('uploads, describes and downloads a file with the same credentials', async () => {
    const uploaded = await upload(form('prices.csv', 'name,price\nA,99.99\n', 'text/csv'));
    expect(uploaded.body).toEqual({
      code: '200',
      message: '',
      data: {
        id: expect.stringMatching(/^file_/),
        name: 'prices.csv',
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3\/openapi\/common\/file\/file_\w+\?download=1$/),
        size: 19,
        content_type: 'text/csv',
        created_at: expect.any(String),
      },
    });
    const { id, url } = uploaded.body.data as { id: string; url: string };
    expect((await api.call('GET', `/common/file/${id}`, { token })).body.data).toMatchObject({ name: 'prices.csv', url });

    const download = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(download.headers.get('content-disposition')).toContain('attachment; filename="prices.csv"');
    expect(await download.text()).toBe('name,price\nA,99.99\n');
    const byQuery = await fetch(`${url}&access_token=${encodeURIComponent(token)}`);
    expect(await byQuery.text()).toBe('name,price\nA,99.99\n');

    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ code: '401', message: 'missing access token', data: null });
  });

  it('keeps files to their owner: another user or tenant gets 404', async () => {
    const { id } = (await upload(form('secret.txt', 'mine'))).body.data as { id: string };
    const others = [await api.token('someone-else'), await api.token('files-user', OTHER_API_KEY, OTHER_TENANT)];
    for (const other of others) {
      for (const path of [`/common/file/${id}`, `/common/file/${id}?download=1`]) {
        expect((await api.call('GET', path, { token: other })).body).toEqual({ code: '404', message: 'file not found', data: null });
      }
    }
  });

  it('keeps two uploads of the same name apart, and strips path parts from names', async () => {
    const first = (await upload(form('same.txt', 'one'))).body.data as { id: string; url: string };
    const second = (await upload(form('same.txt', 'two'))).body.data as { id: string; url: string };
    expect(first.id).not.toBe(second.id);
    const read = async (url: string) => (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text();
    expect([await read(first.url), await read(second.url)]).toEqual(['one', 'two']);
    expect((await upload(form('../../etc/passwd', 'x'))).body.data.name).toBe('passwd');
  });

  it('refuses an upload without the file field (400) and one over the size limit (413)', async () => {
    expect((await upload(form('a.txt', 'x', 'text/plain', 'document'))).body).toEqual({
      code: '400',
      message: expect.stringContaining('file'),
      data: null,
    });
    const big = await upload(form('big.bin', new Uint8Array(UPLOAD_LIMIT + 1), 'application/octet-stream'));
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ code: '413', message: expect.any(String), data: null });
  });

  it('builds download addresses on the host the client called, whatever X-Forwarded-Host an untrusted client sends', async () => {
    const { id } = (await upload(form('p.txt', 'x'))).body.data as { id: string };
    const info = await api.call('GET', `/common/file/${id}`, { token, headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } });
    expect(info.body.data.url).toBe(`${api.base}/v3/openapi/common/file/${id}?download=1`);
  });
});

describe('sessions', () => {
  const chat = (json: Record<string, unknown>, until?: Parameters<typeof postStream>[3], as = token) =>
    postStream(api.url('/session/chat'), as, json, until);

  async function newSession(clientId = 'web-1'): Promise<string> {
    const created = await api.call('POST', '/session/create', { token, json: { client_id: clientId } });
    expect(created.body).toEqual({ code: '200', message: '', data: expect.stringMatching(/^conv_/) });
    return created.body.data as string;
  }

  it('chats over SSE with text and files, and shows the session in its space view', async () => {
    const sessionId = await newSession();
    const image = (await upload(form('dot.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/png'))).body.data as { id: string };
    const notes = (await upload(form('notes.md', '# Notes\nbuy milk'))).body.data as { id: string };
    model.script([textReply('I see a picture and your notes.'), textReply('Still here.')]);

    const first = await chat({ session_id: sessionId, client_id: 'web-1', text: 'What did I send?', files: [image.id, notes.id] });
    expect(first.status).toBe(200);
    const taskId = first.headers.get('x-task-id');
    expect(taskId).toMatch(/^task_/);
    expect(first.frames.filter((f) => f.event === 'message').map((f) => f.data).join('')).toBe('I see a picture and your notes.');
    expect(jsonOf(first.frames, 'step-event').at(-1)).toMatchObject({ status: 'ok', outputs: { text: 'I see a picture and your notes.' } });
    expect(first.frames.at(-1)).toEqual({ event: 'close', data: 'close', id: expect.stringMatching(/^\d+$/) });

    const sent = model.requests.at(-1)!.body.messages.at(-1);
    expect(sent.role).toBe('user');
    expect(JSON.stringify(sent.content)).toContain('data:image/png;base64,iVBORw==');
    expect(JSON.stringify(sent.content)).toContain('buy milk');

    const second = await chat({ session_id: sessionId, client_id: 'web-1', text: 'And now?' });
    expect(second.frames.filter((f) => f.event === 'message').map((f) => f.data).join('')).toBe('Still here.');
    // The second turn carries the first one as history.
    expect(model.requests.at(-1)!.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);

    const view = (await api.call('GET', `/session/space_view?session_id=${sessionId}`, { token })).body.data;
    expect(view.files).toEqual([
      expect.objectContaining({ id: image.id, origin: 'upload', name: 'dot.png', text_content: null }),
      expect.objectContaining({ id: notes.id, origin: 'upload', name: 'notes.md', text_content: '# Notes\nbuy milk' }),
    ]);
    expect(view.memos.map((m: { content: string }) => m.content)).toEqual(['I see a picture and your notes.', 'Still here.']);
    expect(view.steps).toHaveLength(2);
    expect(view.steps[0].step_id).toContain(taskId);
  });

  it('refuses a second turn while one runs (409); the running one can be cancelled through its task', async () => {
    const sessionId = await newSession();
    model.script([{ chunks: [chunk.delta({ role: 'assistant', content: '' }), chunk.text('thinking...')], stall: true }]);
    const first = await chat({ session_id: sessionId, client_id: 'web-1', text: 'slow one' }, (frame) => frame.event === 'message');
    const taskId = first.headers.get('x-task-id')!;
    const busy = await chat({ session_id: sessionId, client_id: 'web-1', text: 'me too' });
    expect(busy.status).toBe(409);
    expect(busy.body).toEqual({ code: '409', message: expect.any(String), data: null });
    expect((await api.call('POST', `/task/cancel/${taskId}`, { token })).body.data).toBe(taskId);
    expect((await api.call('GET', `/task/detail/${taskId}`, { token })).body.data.state).toBe('cancelled');
  });

  it.each([
    ['no client_id on create', 'create', {}, 400, 'client_id'],
    ['neither text nor files', 'chat', { client_id: 'web-1' }, 400, 'text or files'],
    ['files that are not a list', 'chat', { client_id: 'web-1', files: 'file_1' }, 400, 'files'],
    ['an unknown file', 'chat', { client_id: 'web-1', files: ['file_nope'] }, 404, 'file not found'],
    ['another client_id', 'chat', { client_id: 'web-2', text: 'hi' }, 403, 'client_id'],
    ['an unknown session', 'unknown', { client_id: 'web-1', text: 'hi' }, 404, 'session not found'],
  ])('refuses %s', async (_label, kind, json, status, message) => {
    const sessionId = kind === 'unknown' ? 'conv_nope' : await newSession();
    const reply =
      kind === 'create'
        ? await api.call('POST', '/session/create', { token, json })
        : await api.call('POST', '/session/chat', { token, json: { session_id: sessionId, ...json } });
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ code: String(status), message: expect.stringContaining(message), data: null });
  });

  it('hides a session from other users (404 on chat and space view)', async () => {
    const sessionId = await newSession();
    const bob = await api.token('bob');
    expect((await chat({ session_id: sessionId, client_id: 'web-1', text: 'hi' }, undefined, bob)).body).toEqual({
      code: '404',
      message: 'session not found',
      data: null,
    });
    expect((await api.call('GET', `/session/space_view?session_id=${sessionId}`, { token: bob })).status).toBe(404);
    expect((await api.call('GET', '/session/space_view', { token })).body).toEqual({ code: '400', message: 'session_id is required', data: null });
  });

  it('talks to the configured session agent', async () => {
    const started = await startBitAgentGateway({
      modelUrl: model.url,
      extra: (raw) => {
        raw.bootstrap.agents.find((a: { id: string }) => a.id === 'demo-agent').model = 'demo';
        raw.bootstrap.agents.push({ id: 'helpdesk', tenant: 'demo', name: 'Helpdesk', model: 'mock', system_prompt: 'You run the helpdesk.' });
        raw.dialects.bitagent.session_agent = 'helpdesk';
      },
    });
    try {
      const own = await started.api.token('u1');
      const sessionId = (await started.api.call('POST', '/session/create', { token: own, json: { client_id: 'c' } })).body.data as string;
      model.script([textReply('Helpdesk here.')]);
      const reply = await postStream(started.api.url('/session/chat'), own, { session_id: sessionId, client_id: 'c', text: 'hello' });
      expect(reply.frames.filter((f) => f.event === 'message').map((f) => f.data).join('')).toBe('Helpdesk here.');
      expect(model.requests.at(-1)!.body.messages[0]).toEqual({ role: 'system', content: 'You run the helpdesk.' });
    } finally {
      await started.gw.stop();
    }
  });
});
