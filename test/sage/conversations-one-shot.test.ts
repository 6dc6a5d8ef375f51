import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneShot, oneShotStream } from '../../src/executors/one-shot.js';
import { ExecutorError } from '../../src/executors/executor.js';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { openaiModel } from '../executors/run-helpers.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());

const config = () => ({ models: [openaiModel(server.url, { name: 'mock', max_retries: 0, stream_usage: false })], default_model: 'mock' });

describe('oneShot', () => {
  it('sends the system prompt and user text to the default model and returns the answer', async () => {
    server.script([textReply('  A better draft.  ', { pieces: 3 })]);
    const text = await oneShot({ config: config() }, { system: 'Rewrite it.', user: 'draft' });
    expect(text).toBe('A better draft.');
    const sent = server.requests.at(-1)!.body;
    expect(sent.model).toBe('mock');
    expect(sent.tools).toBeUndefined();
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Rewrite it.' },
      { role: 'user', content: 'draft' },
    ]);
  });

  it('leaves inline reasoning out of the answer', async () => {
    server.script([textReply('<think>hmm</think>Final words')]);
    expect(await oneShot({ config: config() }, { user: 'x' })).toBe('Final words');
  });

  it('streams text deltas in order', async () => {
    server.script([textReply('one two three four', { pieces: 4 })]);
    const deltas: string[] = [];
    for await (const delta of oneShotStream({ config: config() }, { user: 'x' })) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('one two three four');
  });

  it('stops the model call when the reader leaves early', async () => {
    server.script([{ ...textReply('a b c d e f g h', { pieces: 8 }), delayMs: 150 }]);
    for await (const delta of oneShotStream({ config: config() }, { user: 'x' })) {
      expect(delta).toBeTruthy();
      break;
    }
    expect(await server.requests.at(-1)!.outcome).toBe('client-closed');
  });

  it('rejects with an ExecutorError for model server errors and unknown models', async () => {
    server.script([{ status: 400, body: { error: { message: 'bad prompt' } } }]);
    await expect(oneShot({ config: config() }, { user: 'x' })).rejects.toThrow(/bad prompt/);
    await expect(oneShot({ config: config() }, { user: 'x', model: 'nope' })).rejects.toBeInstanceOf(ExecutorError);
    const stream = oneShotStream({ config: config() }, { user: 'x', model: 'nope' });
    await expect(stream.next()).rejects.toThrow(/unknown model "nope"/);
  });
});
