/**
 * Local chat as the OpenBee web client uses it: sessions created, listed
 * newest first and deleted with everything in them; messages queued (202)
 * and read back as user and bee turns; a message sent while the bee is still
 * answering waits its turn instead of being refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import type { TestGateway } from '../support/gateway.js';
import { loggedIn, startBeeGateway, type BeeClient } from './client.js';

let model: OpenAIServer;
let gw: TestGateway & { api: string };
let alice: BeeClient;
let bob: BeeClient;
beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startBeeGateway({ modelUrl: model.url });
  alice = await loggedIn(gw.api, 'alice');
  bob = await loggedIn(gw.api, 'bob');
});
afterAll(async () => {
  await gw?.stop();
  await model?.close();
});

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

const messagesOf = (client: BeeClient, id: string) => client.get(`/local/sessions/${id}/messages`);

describe('local sessions', () => {
  it('creates (201, {id, name, created_at, updated_at} in ms) and lists newest first', async () => {
    const first = await bob.post('/local/sessions', { name: 'First' });
    const second = await bob.post('/local/sessions', { name: 'Second' });
    expect(first.status).toBe(201);
    expect(Object.keys(first.body).sort()).toEqual(['created_at', 'id', 'name', 'updated_at']);
    expect(first.body.name).toBe('First');
    expect(first.body.created_at).toBeGreaterThan(1_600_000_000_000);
    const list = await bob.get('/local/sessions');
    expect(list.status).toBe(200);
    const ids = list.body.map((s: { id: string }) => s.id);
    expect(ids.indexOf(second.body.id)).toBeLessThan(ids.indexOf(first.body.id));
    // Another user's list does not show them.
    expect((await alice.get('/local/sessions')).body.map((s: { id: string }) => s.id)).not.toContain(first.body.id);
  });

  it('refuses a bad body and an unknown worker', async () => {
    expect((await bob.post('/local/sessions', { name: 7 })).status).toBe(400);
    expect(await bob.post('/local/sessions', { name: 'x', worker_id: 'nope' })).toMatchObject({ status: 404, body: { error: 'worker not found' } });
  });

  it('deletes with its messages and executions, answering JSON', async () => {
    const session = await bob.post('/local/sessions', { name: 'Doomed' });
    model.script([textReply('bye')]);
    await bob.post(`/local/sessions/${session.body.id}/messages`, { content: 'hi' });
    await until(() => messagesOf(bob, session.body.id), (r) => r.body.length === 2);
    const deleted = await bob.delete(`/local/sessions/${session.body.id}`);
    expect(deleted).toMatchObject({ status: 200, body: { status: 'deleted' } });
    expect(await messagesOf(bob, session.body.id)).toMatchObject({ status: 404, body: { error: 'session not found' } });
    expect((await bob.get('/local/sessions')).body.map((s: { id: string }) => s.id)).not.toContain(session.body.id);
    expect((await bob.delete(`/local/sessions/${session.body.id}`)).status).toBe(404);
  });
});

describe('messages', () => {
  it('POST queues a run (202 {"status":"queued"}); GET shows user and bee turns sorted by ts', async () => {
    const session = await alice.post('/local/sessions', { name: 'Chat' });
    model.script([textReply('Hi there, I can help.', { pieces: 3 })]);
    const sent = await alice.post(`/local/sessions/${session.body.id}/messages`, { content: 'Hello, what can you do?' });
    expect(sent).toMatchObject({ status: 202, body: { status: 'queued' } });
    const read = await until(() => messagesOf(alice, session.body.id), (r) => r.body.length === 2);
    expect(read.body).toEqual([
      { role: 'user', content: 'Hello, what can you do?', ts: expect.any(Number) },
      { role: 'bee', content: 'Hi there, I can help.', ts: expect.any(Number) },
    ]);
    expect(read.body[0].ts).toBeLessThanOrEqual(read.body[1].ts);
  });

  it('a message sent while the bee is answering waits its turn; both are answered in order', async () => {
    const session = await alice.post('/local/sessions', { name: 'Queue' });
    model.script([{ ...textReply('one', { pieces: 3 }), delayMs: 150 }, textReply('two')]);
    expect((await alice.post(`/local/sessions/${session.body.id}/messages`, { content: 'first' })).status).toBe(202);
    expect((await alice.post(`/local/sessions/${session.body.id}/messages`, { content: 'second' })).status).toBe(202);
    const read = await until(() => messagesOf(alice, session.body.id), (r) => r.body.length === 4);
    expect(read.body.map((m: { role: string; content: string }) => `${m.role}:${m.content}`)).toEqual(['user:first', 'bee:one', 'user:second', 'bee:two']);
  });

  it('refuses a missing or empty content, another user\'s session and an unknown one', async () => {
    const session = await alice.post('/local/sessions', { name: 'Mine' });
    for (const json of [{}, { content: '' }, { content: 5 }, { content: 'x', media_paths: 'no' }]) {
      const reply = await alice.post(`/local/sessions/${session.body.id}/messages`, json);
      expect(reply.status, JSON.stringify(json)).toBe(400);
      expect(Object.keys(reply.body)).toEqual(['error']);
    }
    expect(await bob.post(`/local/sessions/${session.body.id}/messages`, { content: 'hi' })).toMatchObject({ status: 404, body: { error: 'session not found' } });
    expect((await bob.get(`/local/sessions/${session.body.id}/messages`)).status).toBe(404);
    expect((await alice.post('/local/sessions/nope/messages', { content: 'hi' })).status).toBe(404);
  });
});

describe('attachments', () => {
  // A 1×1 PNG.
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const upload = async (client: BeeClient, sessionId: string, name: string, bytes: Buffer = PNG) => {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'image/png' }), name);
    return client.call('POST', `/local/sessions/${sessionId}/media`, { form });
  };

  it('reach the model as the original sends them: a `[文件] <path>` line before the text, images as image parts', async () => {
    const session = await alice.post('/local/sessions', { name: 'Pictures' });
    const uploaded = await upload(alice, session.body.id, 'cat.png');
    expect(uploaded.status).toBe(200);
    model.script([textReply('A cat.')]);
    // The web client sends a blank content when there is only an attachment.
    expect((await alice.post(`/local/sessions/${session.body.id}/messages`, { content: ' ', media_paths: [uploaded.body.path] })).status).toBe(202);
    const read = await until(() => messagesOf(alice, session.body.id), (r) => r.body.length === 2);
    expect(read.body[0]).toMatchObject({ role: 'user', content: `[文件] ${uploaded.body.path}` });
    const request = model.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    const user = request.messages.at(-1)!;
    expect(user.role).toBe('user');
    expect(JSON.stringify(user.content)).toContain(`[文件] ${uploaded.body.path}`);
    expect(JSON.stringify(user.content)).toContain('data:image/png;base64,');
  });

  it('a media_path outside this session\'s upload folder is a 400, and nothing runs', async () => {
    const mine = await alice.post('/local/sessions', { name: 'Mine' });
    const other = await alice.post('/local/sessions', { name: 'Other' });
    const theirs = await upload(alice, other.body.id, 'secret.png');
    const own = await upload(alice, mine.body.id, 'own.png');
    const before = model.requests.length;
    for (const media_path of [theirs.body.path, '/etc/passwd', `${own.body.path}/../../${other.body.id}/${theirs.body.path.split('/').pop()}`, 'relative.png']) {
      const reply = await alice.post(`/local/sessions/${mine.body.id}/messages`, { content: 'look', media_path });
      expect(reply.status, media_path).toBe(400);
      expect(reply.body).toEqual({ error: "media_path must point to a file within the session's upload directory" });
    }
    expect(model.requests.length).toBe(before);
    expect((await messagesOf(alice, mine.body.id)).body).toEqual([]);
  });
});
