import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { chunk, startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { asDemoUser, SageClient, startSageGateway } from './client.js';
import { LineReader, textOf } from './line-reader.js';
import { slowToolTurn, useSageGateway, webStreamBody } from './setup.js';

const s = useSageGateway();

const guide = (sessionId: string) => `/api/sessions/${sessionId}/inject-user-message`;


describe('guidance: /api/sessions/{id}/inject-user-message', () => {
  it('reaches the running reply at its next model turn, is streamed back as a user line, and is kept in the history', async () => {
    const sessionId = `session_${Date.now()}_guided`;
    s.model.script([slowToolTurn(), textReply('It is 42, and briefly so.')]);
    const stream = await LineReader.open(s.alice, 'POST', '/api/web-stream', webStreamBody(sessionId, 'what is 6 * 7?'));
    await stream.atLeast(1);

    const sent = await s.alice.post(guide(sessionId), { content: 'Keep it brief', guidance_id: 'g-brief', metadata: { source_ui: 'guidance_area' } });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ success: true, code: 200, data: { session_id: sessionId, guidance_id: 'g-brief', accepted: true } });
    const pending = await s.alice.get(guide(sessionId));
    expect(pending.body.data).toMatchObject({ session_id: sessionId, items: [{ guidance_id: 'g-brief', content: 'Keep it brief', status: 'pending' }] });
    expect(typeof pending.body.data.items[0].timestamp).toBe('number');

    await stream.done;
    expect(textOf(stream.lines)).toBe('Let me work it out. It is 42, and briefly so.');
    // The second model turn read it after the tool result, as the user's.
    const second = s.model.requests.at(-1)!.body.messages as { role: string; content: string }[];
    expect(second.at(-1)).toEqual({ role: 'user', content: 'Keep it brief' });
    expect(second.at(-2)).toMatchObject({ role: 'tool' });
    // The UI drops its guidance chip on the user line naming it.
    const echoed = stream.lines.find((l) => l.role === 'user');
    expect(echoed).toMatchObject({ role: 'user', content: 'Keep it brief', type: 'user_input', session_id: sessionId });
    expect(echoed!.metadata).toEqual({ source_ui: 'guidance_area', guidance_id: 'g-brief' });
    expect((await s.alice.get(guide(sessionId))).body.data.items).toEqual([]);

    const snap = (await s.alice.get(`/api/conversations/${sessionId}/messages`)).body.data;
    expect(snap.messages.map((m: { role: string; type: string }) => [m.role, m.type])).toEqual([
      ['user', 'user_input'],
      ['assistant', 'tool_call'],
      ['tool', 'tool_call_result'],
      ['user', 'user_input'],
      ['assistant', 'final_answer'],
    ]);
    expect(snap.messages[3]).toMatchObject({ content: 'Keep it brief', metadata: { guidance_id: 'g-brief' } });
  });

  it('can be edited and withdrawn while it waits; what is withdrawn never reaches the model', async () => {
    const sessionId = `session_${Date.now()}_pending`;
    s.model.script([slowToolTurn(), textReply('done')]);
    const stream = await LineReader.open(s.alice, 'POST', '/api/web-stream', webStreamBody(sessionId, 'compute 6 * 7'));
    await stream.atLeast(1);
    const first = (await s.alice.post(guide(sessionId), { content: 'use metric units' })).body.data.guidance_id as string;
    const second = (await s.alice.post(guide(sessionId), { content: 'never mind this' })).body.data.guidance_id as string;
    expect(first).not.toBe(second);

    const patched = await s.alice.call('PATCH', `${guide(sessionId)}/${first}`, { json: { content: 'use imperial units' } });
    expect(patched.body).toMatchObject({ success: true, data: { updated: true } });
    const deleted = await s.alice.call('DELETE', `${guide(sessionId)}/${second}`);
    expect(deleted.body).toMatchObject({ success: true, data: { deleted: true } });
    expect((await s.alice.get(guide(sessionId))).body.data.items.map((g: { content: string }) => g.content)).toEqual(['use imperial units']);

    await stream.done;
    const prompt = JSON.stringify(s.model.requests.at(-1)!.body.messages);
    expect(prompt).toContain('use imperial units');
    expect(prompt).not.toContain('never mind this');
    expect(prompt).not.toContain('metric');
    // Taken by the run: no longer there to change.
    expect((await s.alice.call('PATCH', `${guide(sessionId)}/${first}`, { json: { content: 'too late' } })).status).toBe(404);
    expect((await s.alice.call('DELETE', `${guide(sessionId)}/${first}`)).status).toBe(404);
  });

  it('refuses in Sage\'s envelope: no running reply (409), empty content (400), another user\'s session (404)', async () => {
    const sessionId = `session_${Date.now()}_idle`;
    s.model.script([textReply('finished already')]);
    const stream = await LineReader.open(s.alice, 'POST', '/api/web-stream', webStreamBody(sessionId, 'hi'));
    await stream.done;
    const idle = await s.alice.post(guide(sessionId), { content: 'too late' });
    expect(idle.status).toBe(409);
    expect(idle.body).toMatchObject({ success: false, code: 409, message: '会话当前没有正在运行的任务' });

    s.model.script([{ chunks: [chunk.text('still going')], stall: true }]);
    const running = await LineReader.open(s.alice, 'POST', '/api/web-stream', webStreamBody(sessionId, 'again'));
    await running.atLeast(1);
    for (const body of [{}, { content: '' }, { content: 7 }, { content: 'ok', metadata: 'nope' }, { content: 'ok', guidance_id: 'has spaces' }]) {
      const reply = await s.alice.post(guide(sessionId), body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body).toMatchObject({ success: false, code: 400 });
    }
    expect((await s.bob.post(guide(sessionId), { content: 'let me in' })).status).toBe(404);
    expect((await s.bob.get(guide(sessionId))).status).toBe(404);
    expect((await s.alice.post(`/api/sessions/${sessionId}/interrupt`, {})).status).toBe(200);
    await running.done;
  });
});

describe('on Redis, two gateways', () => {
  let redis: RedisServer;
  let model: OpenAIServer;
  let one: TestGateway;
  let two: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    model = await startOpenAIServer();
    one = await startSageGateway({ store: 'redis', redisUrl: redis.url, modelUrl: model.url });
    two = await startSageGateway({ store: 'redis', redisUrl: redis.url, modelUrl: model.url });
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    await model?.close();
    await redis?.stop();
  });

  it('guidance sent to one instance reaches the run on the other; a rerun there and the shared view read the same conversation', async () => {
    const sessionId = `session_${Date.now()}_redis_guided`;
    model.script([slowToolTurn(), textReply('Forty-two.'), textReply('42, again.')]);
    const stream = await LineReader.open(asDemoUser(one), 'POST', '/api/web-stream', webStreamBody(sessionId, 'what is 6 * 7?'));
    await stream.atLeast(1);
    expect((await asDemoUser(two).post(guide(sessionId), { content: 'in words', guidance_id: 'g-words' })).status).toBe(200);
    await stream.done;
    expect(stream.lines.find((l) => l.role === 'user')).toMatchObject({ content: 'in words', metadata: { guidance_id: 'g-words' } });
    expect(model.requests.at(-1)!.body.messages.at(-1)).toEqual({ role: 'user', content: 'in words' });

    // The last user message is now the guidance: a rerun on the other instance answers it again.
    const rerun = await LineReader.open(asDemoUser(two), 'POST', `/api/conversations/${sessionId}/rerun-stream`, {});
    await rerun.done;
    expect(textOf(rerun.lines)).toBe('42, again.');
    expect(await asDemoUser(one).post(`/api/conversations/${sessionId}/share`, {})).toMatchObject({ status: 200 });
    const shared = await new SageClient(two.baseUrl).get(`/api/share/conversations/${sessionId}/messages`);
    expect(shared.body.data.messages.map((m: { role: string; content: string }) => [m.role, m.content]).filter(([role]: string[]) => role !== 'tool')).toEqual([
      ['user', 'what is 6 * 7?'],
      ['assistant', 'Let me work it out. '],
      ['user', 'in words'],
      ['assistant', '42, again.'],
    ]);
  });
});
