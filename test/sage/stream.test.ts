import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { chunk, startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { asDemoUser, startSageGateway, type SageClient } from './client.js';
import { LineReader, textOf, type Line } from './line-reader.js';

let model: OpenAIServer;
let gw: TestGateway;
let alice: SageClient;

beforeAll(async () => {
  model = await startOpenAIServer();
  // Sage streams beat every 20 s by default; one second keeps the heartbeat test short.
  gw = await startSageGateway({ modelUrl: model.url, configure: (raw) => (raw.dialects.sage.heartbeat_seconds = 1) });
  alice = asDemoUser(gw, 'alice');
});

afterAll(async () => {
  await gw?.stop();
  await model?.close();
});

const webBody = (sessionId: string, content: string) => ({
  messages: [{ role: 'user', content }],
  session_id: sessionId,
  agent_mode: 'simple',
  more_suggest: false,
  max_loop_count: 10,
  agent_id: 'demo-agent',
  system_context: { response_language: 'zh-CN' },
});

describe('POST /api/web-stream', () => {
  it('streams NDJSON lines the web UI reads, for a client-made session id, with the control tags stripped', async () => {
    const answer = '你好，世界! Hello "quoted" world.';
    model.script([textReply(answer, { pieces: 4 })]);
    const sessionId = `session_${Date.now()}`;
    const stream = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, '<enable_deep_thinking>false</enable_deep_thinking> hello there'));
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    await stream.done;

    // The model saw the text without its tags.
    const sent = model.requests.at(-1)!.body.messages;
    expect(sent.at(-1)).toMatchObject({ role: 'user', content: 'hello there' });

    const { lines, raw } = stream;
    expect(stream.text.endsWith('\n')).toBe(true);
    expect(textOf(lines)).toBe(answer);
    expect(lines.every((l) => l.session_id === sessionId)).toBe(true);
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ type: 'stream_end', session_id: sessionId, total_stream_count: lines.length - 1 });
    expect(lines.some((l) => l.type === 'token_usage' && l.metadata.token_usage.total_tokens === 15)).toBe(true);

    // Python's separators, non-ASCII as is, the notes' key order, float timestamps.
    const first = raw[lines.findIndex((l) => l.type === 'assistant_text')]!;
    expect(first).toMatch(/^\{"role": "assistant", "content": ".*", "message_id": "[^"]+", "type": "assistant_text", "timestamp": \d+\.\d+, "agent_name": "[^"]+", "agent_type": "simple", "metadata": \{\}, "session_id": "session_\d+"\}$/);
    expect(stream.text).toContain('你好');
    expect(stream.text).not.toContain('\\u');
    expect(raw.at(-1)).toMatch(/^\{"type": "stream_end", "session_id": "session_\d+", "timestamp": \d+\.\d+, "total_stream_count": \d+\}$/);

    // The client's id named a conversation of the user's.
    const list = await alice.get(`/api/conversations/${sessionId}/messages`);
    expect(list.status).toBe(200);
  });

  it('is cut mid-way and resumed with last_index: every line once, the whole text as the model streamed it', async () => {
    const answer = 'one two three four five six seven eight nine ten';
    model.script([{ ...textReply(answer, { pieces: 8 }), delayMs: 60 }]);
    const sessionId = `session_${Date.now()}_cut`;
    const first = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'count'));
    await first.atLeast(2);
    await first.cancel();
    const got = first.lines.length;
    expect(got).toBeGreaterThanOrEqual(2);
    expect(first.lines.at(-1)!.type).not.toBe('stream_end');

    const rest = await LineReader.open(alice, 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: String(got) });
    expect(rest.response.status).toBe(200);
    await rest.done;
    const all = [...first.lines, ...rest.lines];
    expect(textOf(all)).toBe(answer);
    expect(all.at(-1)).toMatchObject({ type: 'stream_end', total_stream_count: all.length - 1 });

    // After the end: replay from anywhere, and the fallback end from the last line on.
    const again = await LineReader.open(alice, 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: '0' });
    await again.done;
    expect(again.raw).toEqual([...first.raw, ...rest.raw]);
    const over = await LineReader.open(alice, 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: String(all.length) });
    await over.done;
    expect(over.lines).toEqual([expect.objectContaining({ type: 'stream_end', session_id: sessionId, resume_fallback: true })]);
  });

  it('the messages snapshot names the line a reopened conversation resumes from: nothing shown twice', async () => {
    const answer = 'a reply that is still coming while the page reopens';
    model.script([{ ...textReply(answer, { pieces: 6 }), delayMs: 80 }]);
    const sessionId = `session_${Date.now()}_snap`;
    const first = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'tell me'));
    await first.atLeast(1);
    await first.cancel();

    const during = await alice.get(`/api/conversations/${sessionId}/messages`);
    expect(during.status).toBe(200);
    expect(during.body.data).toMatchObject({ conversation_id: sessionId, next_stream_index: 0, conversation_info: { session_id: sessionId } });
    const shown = during.body.data.messages as Line[];
    expect(shown.map((m) => m.role)).toEqual(['user']);
    expect(shown[0]).toMatchObject({ content: 'tell me', type: 'user_input', session_id: sessionId });

    const resumed = await LineReader.open(alice, 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: String(during.body.data.next_stream_index) });
    await resumed.done;
    expect(textOf(resumed.lines)).toBe(answer);

    const after = await alice.get(`/api/conversations/${sessionId}/messages`);
    const data = after.body.data;
    expect(data.messages.map((m: Line) => m.role)).toEqual(['user', 'assistant']);
    expect(data.messages[1]).toMatchObject({ content: answer, type: 'final_answer' });
    expect(data.next_stream_index).toBe(resumed.lines.length);
    const tail = await LineReader.open(alice, 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: String(data.next_stream_index) });
    await tail.done;
    expect(tail.lines).toEqual([expect.objectContaining({ type: 'stream_end', resume_fallback: true })]);
    expect((await alice.get('/api/conversations/session_nobody/messages')).status).toBe(404);
  });

  it('a new web-stream for a running session interrupts the old run', async () => {
    model.script([{ chunks: [chunk.text('slow answer that never ends')], stall: true }, textReply('the new answer')]);
    const sessionId = `session_${Date.now()}_int`;
    const old = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'first'));
    await old.atLeast(1);
    const fresh = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'second'));
    expect(fresh.response.status).toBe(200);
    await Promise.all([old.done, fresh.done]);
    expect(textOf(old.lines)).toBe('slow answer that never ends');
    expect(old.lines.at(-1)).toMatchObject({ type: 'stream_end', session_id: sessionId, total_stream_count: old.lines.length - 1 });
    // The interrupted run's partial answer is kept, then the new exchange follows it.
    const history = (await alice.get(`/api/conversations/${sessionId}/messages`)).body.data.messages as Line[];
    expect(history.map((m) => [m.role, m.content])).toEqual([
      ['user', 'first'],
      ['assistant', 'slow answer that never ends'],
      ['user', 'second'],
      ['assistant', 'the new answer'],
    ]);
    expect(textOf(fresh.lines)).toBe('the new answer');
    expect(fresh.lines.at(-1)).toMatchObject({ type: 'stream_end', total_stream_count: fresh.lines.length - 1 });
  });

  it('writes `: heartbeat` lines while a run is quiet; the reader skips them and nothing is lost', async () => {
    model.script([{ chunks: [chunk.text('thinking slowly')], stall: true }, textReply('done now')]);
    const sessionId = `session_${Date.now()}_beat`;
    const quiet = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'wait'));
    await quiet.atLeast(1);
    // This gateway's Sage heartbeat interval is one second.
    while (!quiet.text.includes(': heartbeat\n\n')) await new Promise((r) => setTimeout(r, 100));
    const resumed = await LineReader.open(alice, 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: '0' });
    while (!resumed.text.includes(': heartbeat\n\n')) await new Promise((r) => setTimeout(r, 100));
    expect(resumed.lines.map((l) => l.content)).toEqual(quiet.lines.map((l) => l.content));
    const next = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'go on'));
    await Promise.all([quiet.done, resumed.done, next.done]);
    expect(textOf(quiet.lines)).toBe('thinking slowly');
    expect(quiet.lines.at(-1)).toMatchObject({ type: 'stream_end', total_stream_count: quiet.lines.length - 1 });
    expect(resumed.raw).toEqual(quiet.raw);
    expect(textOf(next.lines)).toBe('done now');
  });

  it('the web UI\'s stop (POST /api/sessions/{id}/interrupt) ends the stream with its stream_end', async () => {
    model.script([{ chunks: [chunk.text('half an ans')], stall: true }]);
    const sessionId = `session_${Date.now()}_stop`;
    const stream = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'go'));
    await stream.atLeast(1);
    await stream.cancel();
    const stop = await alice.post(`/api/sessions/${sessionId}/interrupt`, { message: 'stopped by the user' });
    expect(stop.status).toBe(200);
    const rest = await LineReader.open(alice, 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: String(stream.lines.length) });
    await rest.done;
    expect(rest.lines.at(-1)).toMatchObject({ type: 'stream_end', session_id: sessionId, total_stream_count: stream.lines.length + rest.lines.length - 1 });
    expect(textOf([...stream.lines, ...rest.lines])).toBe('half an ans');
    const snapshot = (await alice.get(`/api/conversations/${sessionId}/messages`)).body.data;
    expect(snapshot.next_stream_index).toBe(stream.lines.length + rest.lines.length);
  });

  it('refuses bad requests in Sage\'s envelope before any stream', async () => {
    const empty = await alice.post('/api/web-stream', { messages: [], session_id: 'session_x' });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ success: false, code: 400, message: '消息列表不能为空' });
    const en = await alice.post('/api/chat', { messages: [] }, { headers: { 'X-Sage-Locale': 'en' } });
    expect(en.body.message).toBe('The message list must not be empty');
    const noAgent = await alice.post('/api/chat', { messages: [{ role: 'user', content: 'hi' }], session_id: 'session_y' });
    expect(noAgent.status).toBe(400);
    expect(noAgent.body).toMatchObject({ success: false, code: 400 });
    const badAgent = await alice.post('/api/chat', { messages: [{ role: 'user', content: 'hi' }], agent_id: 'nope' });
    expect(badAgent.status).toBe(404);
    const anon = await alice.post('/api/web-stream', webBody('session_z', 'hi'), { token: null });
    expect(anon.status).toBe(401);
    const badIndex = await alice.get('/api/stream/resume/whatever', { query: { last_index: '-1' } });
    expect(badIndex.status).toBe(400);
    const unknown = await alice.get('/api/stream/resume/session_never');
    expect(unknown.status).toBe(404);
  });

  it('keeps one user\'s session from another', async () => {
    model.script([textReply('private')]);
    const sessionId = `session_${Date.now()}_own`;
    const s = await LineReader.open(alice, 'POST', '/api/chat', { ...webBody(sessionId, 'mine'), agent_id: 'demo-agent' });
    await s.done;
    expect(textOf(s.lines)).toBe('private');
    const bob = asDemoUser(gw, 'bob');
    expect((await bob.get(`/api/stream/resume/${sessionId}`)).status).toBe(404);
  });
});

describe('GET /api/stream/active_sessions', () => {
  it('sends snapshots of the user\'s runs on connect and on every change', async () => {
    const response = await alice.fetch('GET', '/api/stream/active_sessions');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const snapshots: Line[][] = [];
    const until = async (test: (list: Line[]) => boolean): Promise<Line[]> => {
      for (;;) {
        const found = snapshots.find(test);
        if (found) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buffer += decoder.decode(value, { stream: true });
        const frames = buffer.split('\n\n');
        buffer = frames.pop()!;
        for (const frame of frames) {
          const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) snapshots.push(JSON.parse(data) as Line[]);
        }
      }
    };
    await until(() => true);
    expect(Array.isArray(snapshots[0])).toBe(true);

    // A reply that stops mid-answer and never finishes: the run stays running until interrupted.
    model.script([{ chunks: [chunk.text('taking my time')], stall: true }, textReply('quick')]);
    const sessionId = `session_${Date.now()}_active`;
    const slow = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'a long question'));
    await slow.atLeast(1);
    const running = await until((list) => list.some((s) => s.session_id === sessionId && s.status === 'running'));
    expect(running.find((s) => s.session_id === sessionId)).toMatchObject({ is_completed: false, query: 'a long question' });
    expect(typeof running[0]!.last_activity).toBe('number');

    const quick = await LineReader.open(alice, 'POST', '/api/web-stream', webBody(sessionId, 'never mind'));
    await Promise.all([slow.done, quick.done]);
    const ended = await until((list) => list.some((s) => s.session_id === sessionId && s.is_completed));
    expect(ended.find((s) => s.session_id === sessionId)).toMatchObject({ status: 'completed', query: 'never mind' });
    await reader.cancel();

    // Another user sees none of it.
    const bob = await asDemoUser(gw, 'bob').fetch('GET', '/api/stream/active_sessions');
    const bobReader = bob.body!.getReader();
    const first = decoder.decode((await bobReader.read()).value);
    expect(first).not.toContain(sessionId);
    await bobReader.cancel();
  });
});

describe('on Redis, two gateways', () => {
  let redis: RedisServer;
  let one: TestGateway;
  let two: TestGateway;
  let redisModel: OpenAIServer;
  beforeAll(async () => {
    redis = await startRedis();
    redisModel = await startOpenAIServer();
    one = await startSageGateway({ store: 'redis', redisUrl: redis.url, modelUrl: redisModel.url });
    two = await startSageGateway({ store: 'redis', redisUrl: redis.url, modelUrl: redisModel.url });
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    await redisModel?.close();
    await redis?.stop();
  });

  it('a stream cut on one instance resumes on the other, live, with the same lines', async () => {
    const answer = 'alpha beta gamma delta epsilon zeta eta theta';
    redisModel.script([{ ...textReply(answer, { pieces: 8 }), delayMs: 80 }]);
    const sessionId = `session_${Date.now()}_redis`;
    const first = await LineReader.open(asDemoUser(one), 'POST', '/api/web-stream', webBody(sessionId, 'greek'));
    await first.atLeast(2);
    await first.cancel();
    const got = first.lines.length;
    const rest = await LineReader.open(asDemoUser(two), 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: String(got) });
    await rest.done;
    const all = [...first.lines, ...rest.lines];
    expect(textOf(all)).toBe(answer);
    expect(all.at(-1)).toMatchObject({ type: 'stream_end', total_stream_count: all.length - 1 });
    const replay = await LineReader.open(asDemoUser(one), 'GET', `/api/stream/resume/${sessionId}`, undefined, { last_index: '0' });
    await replay.done;
    expect(replay.raw).toEqual([...first.raw, ...rest.raw]);
  });

  it('a web-stream on one instance interrupts the run the other instance streams', async () => {
    redisModel.script([{ chunks: [chunk.text('slow on one')], stall: true }, textReply('fresh on two')]);
    const sessionId = `session_${Date.now()}_cross`;
    const old = await LineReader.open(asDemoUser(one), 'POST', '/api/web-stream', webBody(sessionId, 'first'));
    await old.atLeast(1);
    const fresh = await LineReader.open(asDemoUser(two), 'POST', '/api/web-stream', webBody(sessionId, 'second'));
    expect(fresh.response.status).toBe(200);
    await Promise.all([old.done, fresh.done]);
    expect(old.lines.at(-1)).toMatchObject({ type: 'stream_end', session_id: sessionId });
    expect(textOf(old.lines)).toBe('slow on one');
    expect(textOf(fresh.lines)).toBe('fresh on two');
  });
});
