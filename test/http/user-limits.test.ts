/**
 * Per-user limits on the real gateway, as clients see them: running tasks
 * (shared by every API, since it is one user), open streams and uploads in
 * progress (counted from their first byte), each refused with the dialect's
 * own 429 while other users go on, and freed again when the work ends. Then a streaming client that stops
 * reading: dropped once its socket has stayed full for `stream_stall_ms`.
 */
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/engine/records.js';
import { until } from '../engine/harness.js';
import { chunk, startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { startTestGateway, type RawConfig, type TestGateway } from '../support/gateway.js';

const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };
const ALICE = { authorization: 'Bearer demo-token-alice' };
const BOB = { authorization: 'Bearer demo-token-bob' };
const BIT_AGENT_429 = { code: '429', message: expect.stringMatching(/^too many .* per user/), data: null };
const V1_429 = { success: false, error: '请求过于频繁，请稍后再试' };

/** The shipped config with the demo agent on the local model server, plus `extra`. */
function onModel(model: OpenAIServer, extra: (raw: RawConfig) => void) {
  return (raw: RawConfig) => {
    raw.models.push({ name: 'mock', kind: 'openai', base_url: model.url, max_retries: 0 });
    raw.bootstrap.agents[0].model = 'mock';
    extra(raw);
  };
}

async function send(url: string, init: RequestInit & { headers: Record<string, string> }): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

describe('per-user limits', () => {
  let model: OpenAIServer;
  let gw: TestGateway;
  const bitAgent = (path: string) => `${gw.baseUrl}/api/v3/openapi${path}`;
  const createTask = (headers: Record<string, string>) =>
    send(bitAgent('/task/create'), {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question: 'q' } }),
    });
  const sendMessage = (headers: Record<string, string>) =>
    send(`${gw.baseUrl}/api/v1/messages`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello' }),
    });

  beforeAll(async () => {
    model = await startOpenAIServer({ fallback: textReply('{"answer": "done"}') });
    gw = await startTestGateway({
      configure: onModel(model, (raw) => {
        raw.limits = { running_tasks_per_user: 2, streams_per_user: 2, uploads_per_user: 1 };
      }),
    });
  });
  afterAll(async () => {
    await gw.stop();
    await model.close();
  });

  it('refuses a task over the running limit with each API’s 429, for that user only, until one ends', async () => {
    model.script([
      { chunks: [chunk.text('working')], stall: true },
      { chunks: [chunk.text('working')], stall: true },
    ]);
    const first = await createTask(ALICE);
    const second = await createTask(ALICE);
    expect([first.status, second.status]).toEqual([200, 200]);

    expect(await createTask(ALICE)).toEqual({ status: 429, body: BIT_AGENT_429 });
    // The same user through another API: the limit is the user's, not the API's.
    expect(await sendMessage(ALICE)).toEqual({ status: 429, body: V1_429 });
    // Another user is not held back.
    expect((await sendMessage(BOB)).status).toBe(202);

    const firstId = (first.body as { data: string }).data;
    expect((await send(bitAgent(`/task/cancel/${firstId}`), { method: 'POST', headers: ALICE })).status).toBe(200);
    const third = await createTask(ALICE);
    expect(third.status).toBe(200);
    for (const id of [(second.body as { data: string }).data, (third.body as { data: string }).data]) {
      await send(bitAgent(`/task/cancel/${id}`), { method: 'POST', headers: ALICE });
    }
  });

  it('is not locked out by entries a crash left in the running set', async () => {
    // What a process killed between admitting a task and storing it leaves behind.
    const store = gw.gateway.store;
    await store.indexAdd('running:demo/alice', 'task_lost_1', Date.now() - 120_000);
    await store.indexAdd('running:demo/alice', 'task_lost_2', Date.now() - 120_000);
    model.script([{ chunks: [chunk.text('working')], stall: true }]);
    const created = await createTask(ALICE);
    expect(created.status).toBe(200);
    // A young entry may be a create still in progress on another instance: it counts.
    await store.indexAdd('running:demo/alice', 'task_creating', Date.now());
    expect(await createTask(ALICE)).toEqual({ status: 429, body: BIT_AGENT_429 });
    await store.indexRemove('running:demo/alice', 'task_creating');
    await send(bitAgent(`/task/cancel/${(created.body as { data: string }).data}`), { method: 'POST', headers: ALICE });
  });

  it('refuses a stream over the open-stream limit with a 429 before any stream byte, and frees the place when the client leaves', async () => {
    // A client-executor task never runs here, so its stream stays open and quiet.
    const task = await gw.gateway.engine.tasks.create(alice, { agentId: 'demo-agent', input: { text: 'wait' }, executor: 'remote' });
    const url = bitAgent(`/task/stream/${task.id}`);
    const open = async () => {
      const leave = new AbortController();
      const res = await fetch(url, { headers: ALICE, signal: leave.signal });
      return { res, leave };
    };
    const held = [await open(), await open()];
    expect(held.map((h) => h.res.headers.get('content-type'))).toEqual(['text/event-stream; charset=utf-8', 'text/event-stream; charset=utf-8']);

    const refused = await open();
    expect(refused.res.status).toBe(429);
    expect(refused.res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await refused.res.json()).toEqual(BIT_AGENT_429);

    held[0]!.leave.abort();
    await until(async () => gw.gateway.streams.countOf('demo/alice') === 1);
    const again = await open();
    expect(again.res.status).toBe(200);
    for (const h of [held[1]!, again]) h.leave.abort();
    await until(async () => gw.gateway.streams.countOf('demo/alice') === 0);
  });

  it('refuses an upload while the user has the most in progress, in each API’s shape, and keeps nothing of it', async () => {
    // An upload whose body is still arriving: headers and the first bytes sent, the rest held back.
    const held = connect(gw.gateway.port(), '127.0.0.1');
    held.on('error', () => undefined);
    held.write(
      'POST /api/v1/files/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-token-alice\r\n' +
        'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n' +
        '--b\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n\r\nslow bytes',
    );
    await until(async () => gw.gateway.uploads.count('demo/alice') === 1);
    const form = (name: string) => {
      const data = new FormData();
      data.append('file', new Blob(['refused content']), name);
      return data;
    };
    expect(await send(`${gw.baseUrl}/api/v1/files/upload`, { method: 'POST', headers: ALICE, body: form('a.txt') })).toEqual({ status: 429, body: V1_429 });
    expect(await send(bitAgent('/common/file/upload'), { method: 'POST', headers: ALICE, body: form('b.txt') })).toEqual({ status: 429, body: BIT_AGENT_429 });
    expect((await send(`${gw.baseUrl}/api/v1/files/upload`, { method: 'POST', headers: BOB, body: form('bob.txt') })).status).toBe(200);

    // The client gives up on the held upload: its place is free again.
    held.destroy();
    await until(async () => gw.gateway.uploads.count('demo/alice') === 0);
    expect((await send(`${gw.baseUrl}/api/v1/files/upload`, { method: 'POST', headers: ALICE, body: form('c.txt') })).status).toBe(200);
    const listing = (await send(`${gw.baseUrl}/api/v1/files`, { method: 'GET', headers: ALICE })).body as { items: { name: string }[] };
    expect(listing.items.map((i) => i.name)).toEqual(['c.txt']);
    expect(await readdir(join(gw.config.store.data_dir, 'spool'))).toEqual([]);
  });
});

describe('a streaming client that stops reading', () => {
  const PIECE = 'x'.repeat(64 * 1024);
  const PIECES = 200; // 12.8 MB: far more than the socket buffers of a reader that takes nothing
  let model: OpenAIServer;
  let gw: TestGateway;

  beforeAll(async () => {
    model = await startOpenAIServer();
    gw = await startTestGateway({
      configure: onModel(model, (raw) => {
        raw.server.stream_stall_ms = 400;
      }),
    });
  });
  afterAll(async () => {
    await gw.stop();
    await model.close();
  });

  it('is cut once its socket has stayed full for stream_stall_ms, while the task runs on', async () => {
    model.script([{ chunks: [chunk.text('begin '), ...Array.from({ length: PIECES }, () => chunk.text(PIECE))] }]);
    const task = await gw.gateway.engine.tasks.create(alice, { agentId: 'demo-agent', input: { text: 'write a lot' } });

    const socket = connect(gw.gateway.port(), '127.0.0.1');
    socket.pause();
    const received: Buffer[] = [];
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (piece: Buffer) => received.push(piece));
    socket.write(`GET /api/v3/openapi/task/stream/${task.id} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer demo-token-alice\r\n\r\n`);

    await until(async () => gw.gateway.streams.countOf('demo/alice') === 1);
    // Nothing is read; the gateway waits for the socket, then gives up on it.
    await until(async () => gw.gateway.streams.countOf('demo/alice') === 0, 10_000);

    socket.resume();
    await closed;
    const text = Buffer.concat(received).toString('utf8');
    expect(text.startsWith('HTTP/1.1 200')).toBe(true);
    expect(text).toContain('event: message');
    expect(text.length).toBeLessThan(PIECES * PIECE.length);
    expect(text).not.toContain('event: close');

    await gw.gateway.engine.runner.settled(task.id);
    expect((await gw.gateway.engine.tasks.get(alice, task.id)).state).toBe('succeeded');
  });
});
