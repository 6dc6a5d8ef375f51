/**
 * One test per quirk of real OpenAI-compatible servers (MODEL-STREAM-QUIRKS.md),
 * each produced by the local model server and checked through what a caller
 * of the executor sees: events, the result, or the error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorError } from '../../src/executors/executor.js';
import { chunk, startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { ofType, openaiModel, run, streamed, types } from './run-helpers.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

describe('stream framing', () => {
  it('ignores comment lines, ping events and blank lines', async () => {
    server.script([
      {
        chunks: [
          chunk.comment('keep-alive'),
          chunk.comment('OPENROUTER PROCESSING'),
          chunk.ping(),
          chunk.raw('\n\n'),
          chunk.text('Hel'),
          chunk.comment(),
          chunk.text('lo'),
          chunk.finish(),
        ],
      },
    ]);
    const { result, events } = await run({ model: openaiModel(server.url, { stream_usage: false }) });
    expect(result?.text).toBe('Hello');
    expect(ofType(events, 'message.completed')).toEqual([{ messageId: expect.any(String), text: 'Hello' }]);
  });

  it('ends the turn at a finish_reason when the server sends no [DONE] and keeps the connection open', async () => {
    server.script([{ chunks: [chunk.text('Still here'), chunk.finish('stop'), chunk.usage(3, 2)], done: false, holdOpen: true }]);
    const { result } = await run({ model: openaiModel(server.url) });
    expect(result?.text).toBe('Still here');
    expect(result?.usage).toEqual({ promptTokens: 3, completionTokens: 2, totalTokens: 5 });
  });

  it('finishes on a finish_reason with no usage and no [DONE] even when usage was asked for', async () => {
    server.script([{ chunks: [chunk.text('No usage'), chunk.finish('stop')], done: false, holdOpen: true }]);
    const { result, events } = await run({ model: openaiModel(server.url, { stream_usage: true }) });
    expect(result?.text).toBe('No usage');
    expect(result?.usage).toBeUndefined();
    expect(ofType(events, 'usage')).toEqual([]);
  });

  it('treats a stream that closes without any finish_reason as an error, keeping the partial text', async () => {
    server.script([{ chunks: [chunk.text('Half an ans')], done: false }]);
    const { error, events } = await run({ model: openaiModel(server.url) });
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).code).toBe('upstream');
    expect((error as Error).message).toMatch(/ended before the model finished/);
    expect(ofType(events, 'message.completed')).toEqual([{ messageId: expect.any(String), text: 'Half an ans' }]);
  });

  it('accepts [DONE] as the end of a turn even without a finish_reason', async () => {
    server.script([{ chunks: [chunk.text('Done marker only')], done: true }]);
    const { result } = await run({ model: openaiModel(server.url) });
    expect(result?.text).toBe('Done marker only');
  });

  it('fails with a timeout when the stream stalls, and closes the connection', async () => {
    server.script([{ chunks: [chunk.text('Thinking about it')], stall: true }]);
    const { error, events } = await run({ model: openaiModel(server.url, { stall_timeout_ms: 200 }) });
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).code).toBe('timeout');
    expect(ofType(events, 'message.completed').map((m) => m.text)).toEqual(['Thinking about it']);
    expect(await server.requests.at(-1)!.outcome).toBe('client-closed');
  });

  it('limits the whole call with timeout_ms even while chunks keep arriving', async () => {
    const chunks = Array.from({ length: 100 }, () => chunk.text('.'));
    server.script([{ chunks, delayMs: 20 }]);
    const { error } = await run({ model: openaiModel(server.url, { timeout_ms: 300, stall_timeout_ms: 5_000 }) });
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).code).toBe('timeout');
    expect(await server.requests.at(-1)!.outcome).toBe('client-closed');
  });

  it('reports `data: {"error": ...}` after HTTP 200 with the provider message', async () => {
    server.script([{ chunks: [chunk.text('Par'), chunk.error('upstream overloaded, try later')], done: false }]);
    const { error, events } = await run({ model: openaiModel(server.url) });
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as Error).message).toContain('upstream overloaded, try later');
    expect(ofType(events, 'message.completed').map((m) => m.text)).toEqual(['Par']);
  });

  it('reports finish_reason "error" as a failed turn', async () => {
    server.script([
      {
        chunks: [
          chunk.text('x'),
          { choices: [{ index: 0, delta: {}, finish_reason: 'error', error: { message: 'model crashed' } }] },
        ],
      },
    ]);
    const { error } = await run({ model: openaiModel(server.url) });
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as Error).message).toContain('model crashed');
  });

  it('reports a vLLM-style error object in the stream', async () => {
    server.script([{ chunks: [{ object: 'error', message: 'context length exceeded', code: 400 }], done: false }]);
    const { error } = await run({ model: openaiModel(server.url) });
    expect((error as Error).message).toContain('context length exceeded');
  });

  it('asks for identity encoding so no stack buffers a gzip stream', async () => {
    server.script([textReply('ok')]);
    await run({ model: openaiModel(server.url) });
    expect(server.requests.at(-1)!.headers['accept-encoding']).toBe('identity');
  });
});

describe('chunks', () => {
  it('copes with empty or missing choices, changing chunk ids and a missing role', async () => {
    server.script([
      {
        chunks: [
          chunk.empty(),
          { id: 'a', object: 'chat.completion.chunk' },
          { id: 'b', choices: [{ delta: { content: 'No role ' } }] },
          { id: 'c', choices: [{ index: 0, delta: { content: 'here' }, finish_reason: null }] },
          { id: 'd', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
          chunk.usage(7, 2),
        ],
      },
    ]);
    const { result, events } = await run({ model: openaiModel(server.url) });
    expect(result?.text).toBe('No role here');
    expect(types(events)).toEqual(['message.started', 'message.delta', 'message.delta', 'message.completed', 'usage']);
  });

  it('gives each turn its own message id', async () => {
    server.script([
      { chunks: [chunk.text('calling'), chunk.toolCall({ id: 'c1', name: 'echo', arguments: '{}' }), chunk.finish('tool_calls')].flat() },
      textReply('done'),
    ]);
    const echo = { name: 'echo', description: 'echo', parameters: { type: 'object' }, run: () => Promise.resolve('ok') };
    const { result, events } = await run({ model: openaiModel(server.url), tools: [echo] });
    expect(result?.text).toBe('done');
    const ids = ofType(events, 'message.started').map((m) => m.messageId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });
});

describe('reasoning', () => {
  it.each(['reasoning_content', 'reasoning'] as const)('streams `%s` deltas as reasoning events', async (field) => {
    server.script([
      {
        chunks: [
          chunk.reasoning('Let me ', field),
          chunk.reasoning('think.', field),
          chunk.text('Answer.'),
          chunk.finish(),
        ],
      },
    ]);
    const { result, events } = await run({ model: openaiModel(server.url), reasoning: true });
    expect(result?.text).toBe('Answer.');
    expect(types(events)).toEqual([
      'reasoning.started',
      'reasoning.delta',
      'reasoning.delta',
      'reasoning.completed',
      'message.started',
      'message.delta',
      'message.completed',
    ]);
    expect(ofType(events, 'reasoning.completed')[0]?.text).toBe('Let me think.');
    expect(result?.messages.at(-1)).toEqual({ role: 'assistant', content: 'Answer.', reasoning: 'Let me think.' });
  });

  it('splits inline <think>…</think> out of the content, also when the tags are cut across chunks', async () => {
    server.script([
      {
        chunks: [
          chunk.text('\n<thi'),
          chunk.text('nk>\nWeighing '),
          chunk.text('options</th'),
          chunk.text('ink>\n\nThe answer '),
          chunk.text('is 4.'),
          chunk.finish(),
        ],
      },
    ]);
    const { result, events } = await run({ model: openaiModel(server.url) });
    expect(result?.text).toBe('The answer is 4.');
    expect(streamed(events, 'message')).toBe('The answer is 4.');
    expect(ofType(events, 'reasoning.completed').map((r) => r.text)).toEqual(['Weighing options']);
    expect(ofType(events, 'message.completed').map((m) => m.text)).toEqual(['The answer is 4.']);
    expect(types(events).indexOf('reasoning.completed')).toBeLessThan(types(events).indexOf('message.started'));
  });

  it('treats content before a lone </think> as reasoning when the opening tag never came', async () => {
    server.script([
      { chunks: [chunk.text('The user wants '), chunk.text('a greeting.</think>'), chunk.text('Hi!'), chunk.finish()] },
    ]);
    const { result, events } = await run({ model: openaiModel(server.url) });
    expect(result?.text).toBe('Hi!');
    expect(ofType(events, 'reasoning.completed').map((r) => r.text)).toEqual(['The user wants a greeting.']);
    expect(ofType(events, 'message.completed').map((m) => m.text)).toEqual(['Hi!']);
    expect(result?.messages.at(-1)).toEqual({ role: 'assistant', content: 'Hi!', reasoning: 'The user wants a greeting.' });
  });

  it('keeps a plain answer that merely mentions a tag-like text intact', async () => {
    server.script([{ chunks: [chunk.text('Use <b> for bold and a < b.'), chunk.finish()] }]);
    const { result, events } = await run({ model: openaiModel(server.url) });
    expect(result?.text).toBe('Use <b> for bold and a < b.');
    expect(ofType(events, 'reasoning.started')).toEqual([]);
  });
});

describe('usage', () => {
  it('reads usage from choices[0].usage (Kimi) and cached tokens from prompt_cache_hit_tokens', async () => {
    server.script([
      {
        chunks: [
          chunk.text('hi'),
          {
            choices: [
              {
                index: 0,
                delta: {},
                finish_reason: 'stop',
                usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24, prompt_cache_hit_tokens: 16 },
              },
            ],
          },
        ],
      },
    ]);
    const { result, events } = await run({ model: openaiModel(server.url) });
    const expected = { promptTokens: 20, completionTokens: 4, totalTokens: 24, cachedTokens: 16 };
    expect(ofType(events, 'usage')).toEqual([expected]);
    expect(result?.usage).toEqual(expected);
  });

  it.each([
    ['prompt_tokens_details.cached_tokens', { prompt_tokens_details: { cached_tokens: 6 } }],
    ['cached_tokens', { cached_tokens: 6 }],
  ])('reads cached tokens from %s', async (_name, extra) => {
    server.script([{ chunks: [chunk.text('hi'), chunk.finish(), chunk.usage(10, 2, extra)] }]);
    const { result } = await run({ model: openaiModel(server.url) });
    expect(result?.usage).toEqual({ promptTokens: 10, completionTokens: 2, totalTokens: 12, cachedTokens: 6 });
  });

  it('reports usage for every turn and sums it in the result', async () => {
    server.script([
      {
        chunks: [
          ...chunk.toolCall({ id: 'c1', name: 'echo', arguments: '{}' }),
          chunk.finish('tool_calls'),
          chunk.usage(100, 10),
        ],
      },
      textReply('done', { usage: [150, 20] }),
    ]);
    const echo = { name: 'echo', description: 'echo', parameters: { type: 'object' }, run: () => Promise.resolve('ok') };
    const { result, events } = await run({ model: openaiModel(server.url), tools: [echo] });
    expect(ofType(events, 'usage')).toEqual([
      { promptTokens: 100, completionTokens: 10, totalTokens: 110 },
      { promptTokens: 150, completionTokens: 20, totalTokens: 170 },
    ]);
    expect(result?.usage).toEqual({ promptTokens: 250, completionTokens: 30, totalTokens: 280 });
    expect(result?.turns).toBe(2);
  });

  it('reports the usage of a failed turn', async () => {
    server.script([{ chunks: [chunk.text('par'), chunk.usage(5, 1), chunk.error('boom')], done: false }]);
    const { error, events } = await run({ model: openaiModel(server.url) });
    expect((error as Error).message).toContain('boom');
    expect(ofType(events, 'usage')).toEqual([{ promptTokens: 5, completionTokens: 1, totalTokens: 6 }]);
  });
});
