/**
 * The OpenBee web client's whole day, on both stores: log in, create a
 * worker, open a local session on it, watch the reply stream with a real
 * EventSource while chatting (with an attachment shown by its tokenless
 * link), survive a dropped connection (Last-Event-ID), read the worker's
 * executions and render a log line by line as its log viewer does, and
 * ride out an expired access token with one refresh.
 */
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { startOpenAIServer, textReply, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { loggedIn, startBeeGateway, type BeeClient } from './client.js';
import { TestStream, closeAll, reply } from './stream-client.js';
import { eventually, streamUrl, untilStored } from './stream-steps.js';

/** What the web client's log viewer makes of one line of an execution's log. */
type Rendered = { text: string } | { toolUse: string } | { toolResult: string } | { result: string } | { raw: string } | null;

function renderLogLine(line: string): Rendered {
  let event: { type?: string; subtype?: string; result?: string; message?: { content?: Record<string, unknown>[] } };
  try {
    event = JSON.parse(line);
  } catch {
    return { raw: line };
  }
  if (event.type === 'system') return null;
  if (event.type === 'result') return { result: String(event.result) };
  const block = event.message?.content?.[0];
  if (event.type === 'assistant' && block?.type === 'text') return { text: String(block.text) };
  if (event.type === 'assistant' && block?.type === 'tool_use') return { toolUse: String(block.name) };
  if (event.type === 'user' && block?.type === 'tool_result') return { toolResult: String(block.content) };
  return { raw: line };
}

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

for (const kind of ['memory', 'redis'] as const) {
  describe(`the OpenBee web client against Switchboard (${kind} store)`, () => {
    let redis: RedisServer | undefined;
    let model: OpenAIServer;
    let gw: TestGateway & { api: string };
    let bee: BeeClient;

    beforeAll(async () => {
      redis = kind === 'redis' ? await startRedis() : undefined;
      model = await startOpenAIServer();
      gw = await startBeeGateway({ store: kind, redisUrl: redis?.url, modelUrl: model.url });
      bee = await loggedIn(gw.api, 'bob');
    });
    afterEach(() => closeAll());
    afterAll(async () => {
      await gw?.stop();
      await model?.close();
      await redis?.stop();
    });

    it('logs in, makes a worker and a session, chats with replies streamed in, reconnects and misses nothing', async () => {
      const worker = await bee.post('/workers', { name: 'Helper', memory: 'You help.' });
      expect(worker.status).toBe(201);
      const session = await bee.post('/local/sessions', { name: 'Day one', worker_id: worker.body.id });
      const id = session.body.id as string;
      const stream = new TestStream(streamUrl(gw.api, id, bee.accessToken!));
      await stream.opened();

      // An attachment, shown by the page as <img src> without a token.
      const form = new FormData();
      form.append('file', new Blob([PNG], { type: 'image/png' }), 'chart.png');
      const uploaded = await bee.call('POST', `/local/sessions/${id}/media`, { form });
      const shown = await fetch(`${gw.api}/local/sessions/${id}/media/${uploaded.body.path.split('/').pop()}`);
      expect(shown.status).toBe(200);
      expect(Buffer.from(await shown.arrayBuffer())).toEqual(PNG);

      // The first reply comes after a tool call: 6 × 7 with the calculator.
      model.script([toolCallReply([{ id: 'call_1', name: 'calculator', arguments: '{"expression":"6*7"}' }]), textReply('It is 42, and a nice chart.', { pieces: 4 })]);
      expect((await bee.post(`/local/sessions/${id}/messages`, { content: 'What is 6 times 7?', media_path: uploaded.body.path })).status).toBe(202);
      const [first] = await stream.framesAtLeast(1);
      expect(reply(first!).content).toBe('It is 42, and a nice chart.');

      // The connection drops; a reply finishes while it is down; the EventSource comes back with Last-Event-ID.
      stream.hold();
      stream.cut();
      model.script([textReply('Second answer.')]);
      await bee.post(`/local/sessions/${id}/messages`, { content: 'And again?' });
      await untilStored(bee, id, 'Second answer.');
      stream.release();
      await stream.framesAtLeast(2);
      expect(stream.frames.map((f) => reply(f).content)).toEqual(['It is 42, and a nice chart.', 'Second answer.']);

      // The chat as the page lists it after a reload.
      const messages = await bee.get(`/local/sessions/${id}/messages`);
      expect(messages.body.map((m: { role: string }) => m.role)).toEqual(['user', 'bee', 'user', 'bee']);
      expect(messages.body[0].content).toBe(`[文件] ${uploaded.body.path}\nWhat is 6 times 7?`);

      // The worker's executions, and the first one's log as the log viewer renders it.
      const executions = await bee.get(`/workers/${worker.body.id}/executions`);
      expect(executions.body.map((e: { status: string }) => e.status)).toEqual(['completed', 'completed']);
      const oldest = executions.body[1];
      expect(oldest).toMatchObject({ worker_name: 'Helper', session_id: id, logs: null, ai_process_pid: null, result: 'It is 42, and a nice chart.' });
      const log = await bee.get(`/executions/${oldest.id}/logs`);
      expect(log.headers.get('content-type')).toMatch(/^text\/plain/);
      const rendered = log.text.split('\n').filter(Boolean).map(renderLogLine).filter((r) => r !== null);
      expect(rendered).toEqual([{ toolUse: 'calculator' }, { toolResult: '{"expression":"6*7","result":42}' }, { text: 'It is 42, and a nice chart.' }, { result: 'It is 42, and a nice chart.' }]);
      expect((await bee.get(`/workers/${worker.body.id}`)).body.status).toBe('idle');
    });

    it('an access token that expired mid-day: 401, one refresh, the retry works', async () => {
      const now = Math.floor(Date.now() / 1000);
      bee.accessToken = await new SignJWT({ tenant_code: 'demo', type: 'access' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('bob')
        .setAudience('switchboard:openbee')
        .setIssuer('switchboard')
        .setIssuedAt(now - 7300)
        .setExpirationTime(now - 100)
        .sign(gw.gateway.engine.signingKey);
      const before = bee.refreshes;
      const list = await bee.get('/local/sessions');
      expect(list.status).toBe(200);
      expect(bee.refreshes).toBe(before + 1);
      await eventually('the new token to work for the stream too', async () => {
        const stream = new TestStream(streamUrl(gw.api, list.body[0].id, bee.accessToken!));
        await stream.opened();
        stream.close();
        return true;
      });
    });
  });
}
