/**
 * What the model server receives: endpoint, headers, body fields, per-model
 * parameters, content parts, and a history cleaned so strict servers accept it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/executors/executor.js';
import { lookupTools } from '../../src/executors/tools.js';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { openaiModel, run } from './run-helpers.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

describe('request', () => {
  it('posts a streamed chat completion with the key, the upstream model id and the tools', async () => {
    server.script([textReply('ok')]);
    await run({
      model: openaiModel(`${server.url}/`, { api_key: 'sk-test', model: 'upstream-id' }),
      tools: lookupTools(['calculator']),
    });
    const { path, headers, body } = server.requests.at(-1)!;
    expect(path).toBe('/v1/chat/completions');
    expect(headers.authorization).toBe('Bearer sk-test');
    expect(headers['accept-encoding']).toBe('identity');
    expect(body.model).toBe('upstream-id');
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: { name: 'calculator', description: expect.any(String), parameters: expect.objectContaining({ type: 'object' }) },
      },
    ]);
  });

  it('sends no Authorization header without a key, and the model name when no upstream id is set', async () => {
    server.script([textReply('ok')]);
    await run({ model: openaiModel(server.url, { name: 'local-llm' }) });
    const { headers, body } = server.requests.at(-1)!;
    expect(headers.authorization).toBeUndefined();
    expect(body.model).toBe('local-llm');
    expect(body.tools).toBeUndefined();
  });

  it('merges params always and reasoning_params only when the run asks for reasoning', async () => {
    const model = openaiModel(server.url, {
      params: { temperature: 0.2, max_completion_tokens: 100 },
      reasoning_params: { thinking: { type: 'enabled' } },
    });
    server.script([textReply('a'), textReply('b')]);
    await run({ model, reasoning: false });
    await run({ model, reasoning: true });
    const [plain, thinking] = server.requests.slice(-2).map((r) => r.body);
    expect(plain).toMatchObject({ temperature: 0.2, max_completion_tokens: 100 });
    expect(plain.thinking).toBeUndefined();
    expect(thinking).toMatchObject({ temperature: 0.2, thinking: { type: 'enabled' } });
  });

  it('sends image parts as image_url content parts', async () => {
    server.script([textReply('a cat')]);
    await run({
      model: openaiModel(server.url),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
          ],
        },
      ],
    });
    expect(server.requests.at(-1)!.body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
    ]);
  });
});

describe('connections', () => {
  it('reuses one kept-alive connection for successive calls to the same server', async () => {
    // A server of its own, so the pool holds no connection from other tests.
    const own = await startOpenAIServer();
    try {
      own.script([textReply('one'), textReply('two'), textReply('three')]);
      for (let i = 0; i < 3; i++) {
        const { result } = await run({ model: openaiModel(own.url) });
        expect(result?.text).toBeTruthy();
        // Let the pool take the finished connection back before the next call.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await Promise.all(own.requests.map((r) => r.outcome))).toEqual(['completed', 'completed', 'completed']);
      expect(new Set(own.requests.map((r) => r.remotePort)).size).toBe(1);
    } finally {
      await own.close();
    }
  });
});

describe('history cleaning', () => {
  it('drops broken tool calls, orphan tool results and empty assistant messages; sends no reasoning', async () => {
    const history: ChatMessage[] = [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'first' },
      {
        role: 'assistant',
        content: '',
        reasoning: 'thinking it over',
        toolCalls: [
          { id: 'good', name: 'calculator', arguments: '{"expression":"1+1"}' },
          { id: 'broken', name: 'calculator', arguments: '{"expression": "1+' },
          { id: 'unanswered', name: 'calculator', arguments: '{}' },
        ],
      },
      { role: 'tool', toolCallId: 'good', content: '2' },
      { role: 'tool', toolCallId: 'broken', content: 'Error' },
      { role: 'tool', toolCallId: 'nobody-called-me', content: 'stray' },
      { role: 'assistant', content: '' },
      { role: 'assistant', content: 'It is 2.', reasoning: 'easy' },
      { role: 'user', content: 'again' },
    ];
    server.script([textReply('ok')]);
    await run({ model: openaiModel(server.url), messages: history });
    expect(server.requests.at(-1)!.body.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'first' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'good', type: 'function', function: { name: 'calculator', arguments: '{"expression":"1+1"}' } }],
      },
      { role: 'tool', tool_call_id: 'good', content: '2' },
      { role: 'assistant', content: 'It is 2.' },
      { role: 'user', content: 'again' },
    ]);
  });

  it('sends reasoning back as reasoning_content when the model asks for it', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a', reasoning: 'because' },
      { role: 'user', content: 'again' },
    ];
    server.script([textReply('ok')]);
    await run({ model: openaiModel(server.url, { send_reasoning: true }), messages: history });
    expect(server.requests.at(-1)!.body.messages[1]).toEqual({ role: 'assistant', content: 'a', reasoning_content: 'because' });
  });

  it('drops an assistant message whose only tool calls were all broken', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'x', name: 'calculator', arguments: 'not json' }] },
      { role: 'tool', toolCallId: 'x', content: 'Error: bad arguments' },
      { role: 'user', content: 'q2' },
    ];
    server.script([textReply('ok')]);
    await run({ model: openaiModel(server.url), messages: history });
    expect(server.requests.at(-1)!.body.messages).toEqual([
      { role: 'user', content: 'q' },
      { role: 'user', content: 'q2' },
    ]);
  });
});
