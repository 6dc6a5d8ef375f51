/**
 * Retries happen only before the first byte of a body: 429/5xx answers and
 * connection errors are retried with backoff; a stream that broke off after
 * it started is never sent again (it would duplicate text and tool calls).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorError } from '../../src/executors/executor.js';
import { chunk, startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { ofType, openaiModel, run, streamed } from './run-helpers.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

function requestsDuring<T>(work: () => Promise<T>): Promise<[T, number]> {
  const before = server.requests.length;
  return work().then((value) => [value, server.requests.length - before]);
}

describe('retries before the first byte', () => {
  it('retries after a 429 and then succeeds', async () => {
    server.script([{ status: 429, body: { error: { message: 'rate limited' } }, retryAfter: 0 }, textReply('Second time lucky')]);
    const [{ result, events }, count] = await requestsDuring(() => run({ model: openaiModel(server.url) }));
    expect(count).toBe(2);
    expect(result?.text).toBe('Second time lucky');
    // Nothing of the refused attempt reaches the log.
    expect(ofType(events, 'message.started')).toHaveLength(1);
  });

  it('retries 5xx answers with backoff', async () => {
    server.script([{ status: 503, body: 'busy' }, { status: 502, body: 'bad gateway' }, textReply('up again')]);
    const [{ result }, count] = await requestsDuring(() => run({ model: openaiModel(server.url, { max_retries: 3 }) }));
    expect(count).toBe(3);
    expect(result?.text).toBe('up again');
  });

  it('retries a connection closed before any answer', async () => {
    server.script([{ reset: true }, textReply('reconnected')]);
    const [{ result }, count] = await requestsDuring(() => run({ model: openaiModel(server.url) }));
    expect(count).toBe(2);
    expect(result?.text).toBe('reconnected');
  });

  it('gives up after max_retries with the provider message', async () => {
    const busy = { status: 429, body: { error: { message: 'quota exhausted for today' } }, retryAfter: 0 };
    server.script([busy, busy, busy]);
    const [{ error }, count] = await requestsDuring(() => run({ model: openaiModel(server.url, { max_retries: 2 }) }));
    expect(count).toBe(3);
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).code).toBe('upstream');
    expect((error as Error).message).toContain('429');
    expect((error as Error).message).toContain('quota exhausted for today');
  });

  it('does not retry other client errors', async () => {
    server.script([{ status: 401, body: { error: { message: 'invalid api key' } } }]);
    const model = openaiModel(server.url, { stream_usage: false });
    const [{ error }, count] = await requestsDuring(() => run({ model }));
    expect(count).toBe(1);
    expect((error as Error).message).toContain('invalid api key');
  });
});

describe('no retry after the first byte', () => {
  it('fails, keeping the partial text, when the stream breaks off mid-answer', async () => {
    server.script([{ chunks: [chunk.text('Once upon a ')], done: false, cut: true }, textReply('must not be used')]);
    const [{ error, events }, count] = await requestsDuring(() => run({ model: openaiModel(server.url) }));
    expect(count).toBe(1);
    expect(error).toBeInstanceOf(ExecutorError);
    expect(streamed(events, 'message')).toBe('Once upon a ');
    expect(ofType(events, 'message.completed').map((m) => m.text)).toEqual(['Once upon a ']);
    // Take the unused reply back out of the queue for the next tests.
    await run({ model: openaiModel(server.url) });
  });

  it('does not retry a stream that broke off after only a keep-alive comment', async () => {
    server.script([{ chunks: [chunk.comment()], done: false, cut: true }, textReply('must not be used')]);
    const [{ error }, count] = await requestsDuring(() => run({ model: openaiModel(server.url) }));
    expect(count).toBe(1);
    expect(error).toBeInstanceOf(ExecutorError);
    await run({ model: openaiModel(server.url) });
  });
});

describe('stream_options', () => {
  it('retries once without stream_options when a server refuses it with 400', async () => {
    const model = openaiModel(server.url, { name: 'refuses-400' });
    server.script([{ status: 400, body: { error: { message: 'unknown field' } } }, textReply('fine')]);
    const [{ result }, count] = await requestsDuring(() => run({ model }));
    expect(count).toBe(2);
    expect(result?.text).toBe('fine');
    const [first, second] = server.requests.slice(-2).map((r) => r.body);
    expect(first.stream_options).toEqual({ include_usage: true });
    expect(second.stream_options).toBeUndefined();
    expect(second.stream).toBe(true);
  });

  it('retries without stream_options on a 422 that names it, and remembers for the next turn', async () => {
    const model = openaiModel(server.url, { name: 'refuses-422' });
    server.script([
      { status: 422, body: { detail: 'stream_options: extra fields not permitted' } },
      textReply('first'),
      textReply('second'),
    ]);
    await run({ model });
    const [{ result }, count] = await requestsDuring(() => run({ model }));
    expect(result?.text).toBe('second');
    expect(count).toBe(1);
    expect(server.requests.at(-1)!.body.stream_options).toBeUndefined();
  });

  it('reports the second refusal when dropping stream_options did not help', async () => {
    const model = openaiModel(server.url, { name: 'refuses-everything' });
    server.script([
      { status: 400, body: { error: { message: 'bad request' } } },
      { status: 400, body: { error: { message: 'messages: too long' } } },
    ]);
    const [{ error }, count] = await requestsDuring(() => run({ model }));
    expect(count).toBe(2);
    expect((error as Error).message).toContain('messages: too long');
  });

  it('does not send stream_options when the model is configured without stream usage', async () => {
    server.script([textReply('plain')]);
    await run({ model: openaiModel(server.url, { stream_usage: false }) });
    expect(server.requests.at(-1)!.body.stream_options).toBeUndefined();
  });
});
