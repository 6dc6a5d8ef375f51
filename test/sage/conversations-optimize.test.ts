import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import type { TestGateway } from '../support/gateway.js';
import { asDemoUser, SageClient, startSageGateway } from './client.js';

let model: OpenAIServer;
let gw: TestGateway;
let alice: SageClient;

beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startSageGateway({ modelUrl: model.url });
  alice = asDemoUser(gw, 'alice');
});
afterAll(async () => {
  await gw.stop();
  await model.close();
});

const lines = (text: string) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

describe('Sage chat optimize-input', () => {
  it('rewrites the draft with one call to the default model', async () => {
    model.script([textReply('Please list three budget-friendly ideas for a garden party.', { pieces: 3 })]);
    const reply = await alice.post('/api/chat/optimize-input', { input: ' garden party ideas cheap ' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      success: true,
      code: 200,
      data: { original_input: 'garden party ideas cheap', optimized_input: 'Please list three budget-friendly ideas for a garden party.' },
    });
    const sent = model.requests.at(-1)!.body;
    expect(sent.model).toBe('mock');
    expect(sent.tools).toBeUndefined();
    expect(sent.messages[0].role).toBe('system');
    expect(sent.messages[1]).toEqual({ role: 'user', content: 'garden party ideas cheap' });
  });

  it('refuses a missing, blank, mistyped or oversized draft with a 400 and calls no model', async () => {
    const before = model.requests.length;
    for (const json of [{}, { input: '   ' }, { input: 7 }, { input: 'x'.repeat(8001) }]) {
      const reply = await alice.post('/api/chat/optimize-input', json, { headers: { 'accept-language': 'en' } });
      expect({ json: JSON.stringify(json).slice(0, 40), status: reply.status }).toEqual({ json: JSON.stringify(json).slice(0, 40), status: 400 });
      expect(reply.body).toMatchObject({ success: false, code: 400, message: expect.stringMatching(/input/) });
      const streamed = await alice.post('/api/chat/optimize-input/stream', json);
      expect(streamed.status).toBe(400);
    }
    expect(model.requests.length).toBe(before);
  });

  it('reports a model failure as a 503 in Sage’s envelope', async () => {
    model.script([{ status: 401, body: { error: { message: 'invalid api key' } } }]);
    const reply = await alice.post('/api/chat/optimize-input', { input: 'hello' }, { headers: { 'accept-language': 'en' } });
    expect(reply.status).toBe(503);
    expect(reply.body).toMatchObject({ success: false, code: 503, message: expect.stringContaining('invalid api key') });
  });

  it('needs a login', async () => {
    const reply = await new SageClient(gw.baseUrl).post('/api/chat/optimize-input', { input: 'hello' });
    expect(reply.status).toBe(401);
  });

  it('streams the rewrite as NDJSON deltas, then the whole text', async () => {
    model.script([textReply('A clearer question, please.', { pieces: 4 })]);
    const reply = await alice.post('/api/chat/optimize-input/stream', { input: 'question' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(reply.text.endsWith('\n')).toBe(true);
    const got = lines(reply.text);
    const deltas = got.slice(0, -1);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((l) => l.type === 'delta')).toBe(true);
    expect(deltas.map((l) => l.content).join('')).toBe('A clearer question, please.');
    expect(got.at(-1)).toEqual({ type: 'done', content: 'A clearer question, please.', optimized_input: 'A clearer question, please.' });
    // Python's separators, as every Sage stream writes them.
    expect(reply.text.split('\n').at(-2)).toBe('{"type": "done", "content": "A clearer question, please.", "optimized_input": "A clearer question, please."}');
  });

  it('ends the stream with an error line when the model fails', async () => {
    model.script([{ status: 500, body: { error: { message: 'model exploded' } } }]);
    const reply = await alice.post('/api/chat/optimize-input/stream', { input: 'question' }, { headers: { 'accept-language': 'en' } });
    expect(reply.status).toBe(200);
    expect(lines(reply.text)).toEqual([{ type: 'error', content: expect.stringMatching(/^The model call failed: .*model exploded/) }]);
  });

  it('stops the model call when the client leaves the stream', async () => {
    model.script([{ ...textReply('one two three four five six seven eight', { pieces: 8 }), delayMs: 200 }]);
    const response = await alice.fetch('POST', '/api/chat/optimize-input/stream', { json: { input: 'slow' } });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"type": "delta"');
    await reader.cancel();
    expect(await model.requests.at(-1)!.outcome).toBe('client-closed');
  });
});
