/** The demo executor: offline, deterministic, honest about being a demo. */
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { ofType, run, streamed, types } from './run-helpers.js';

const demo: ModelConfig = {
  name: 'demo',
  kind: 'demo',
  stream_usage: false,
  non_streaming_tools: false,
  send_reasoning: false,
  inline_tool_calls: true,
  timeout_ms: 1_000,
  stall_timeout_ms: 1_000,
  max_retries: 0,
};

describe('demo executor', () => {
  it('streams reasoning then a reply that says it is the demo model and echoes the input', async () => {
    const { result, events } = await run({ model: demo, input: 'What is the capital of France?' });
    expect(types(events)).toEqual([
      'reasoning.started',
      'reasoning.delta',
      'reasoning.delta',
      'reasoning.delta',
      'reasoning.completed',
      'message.started',
      ...ofType(events, 'message.delta').map(() => 'message.delta'),
      'message.completed',
    ]);
    expect(ofType(events, 'message.delta').length).toBeGreaterThanOrEqual(3);
    expect(result?.text).toContain("Switchboard's demo model");
    expect(result?.text).toContain('What is the capital of France?');
    expect(streamed(events, 'message')).toBe(result?.text);
    expect(ofType(events, 'message.completed')[0]?.text).toBe(result?.text);
    expect(ofType(events, 'reasoning.completed')[0]?.text).toBe(streamed(events, 'reasoning'));
    expect(result).toMatchObject({ toolCalls: 0, turns: 1, messages: [{ role: 'assistant', content: result?.text }] });
  });

  it('gives the same events and result for the same input', async () => {
    const first = await run({ model: demo, input: 'same' });
    const second = await run({ model: demo, input: 'same' });
    expect(second.events).toEqual(first.events);
    expect(second.result).toEqual(first.result);
  });

  it('echoes the text parts of the last user message', async () => {
    const { result } = await run({
      model: demo,
      messages: [
        { role: 'user', content: 'old question' },
        { role: 'assistant', content: 'old answer' },
        { role: 'user', content: [{ type: 'text', text: 'look at' }, { type: 'image', url: 'data:image/png;base64,AA==' }] },
      ],
    });
    expect(result?.text).toContain('look at');
    expect(result?.text).not.toContain('old question');
  });

  it('returns the minimal outputs that satisfy the required properties of a schema', async () => {
    const { result } = await run({
      model: demo,
      outputSchema: {
        type: 'object',
        properties: {
          title: { type: 'string' },
          score: { type: 'number' },
          count: { type: 'integer' },
          ok: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string' } },
          meta: { type: 'object', properties: { inner: { type: 'string' } }, required: ['inner'] },
          level: { enum: ['low', 'high'] },
          optional: { type: 'string' },
        },
        required: ['title', 'score', 'count', 'ok', 'tags', 'meta', 'level'],
      },
    });
    expect(result?.outputs).toEqual({
      title: 'demo',
      score: 0,
      count: 0,
      ok: false,
      tags: [],
      meta: { inner: 'demo' },
      level: 'low',
    });
  });

  it('stops between chunks on abort, keeping the partial reply', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const { error, events } = await run({
      model: demo,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'message.delta') controller.abort(reason);
      },
    });
    expect(error).toBe(reason);
    expect(ofType(events, 'message.delta')).toHaveLength(1);
    expect(ofType(events, 'message.completed')[0]?.text).toBe(streamed(events, 'message'));
    expect(types(events).at(-1)).toBe('message.completed');
  });
});
