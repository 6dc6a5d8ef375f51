import { describe, expect, it } from 'vitest';
import type { EventInput, EventType, TaskEvent } from '../../src/engine/events.js';
import { V1Fold } from '../../src/dialects/agents-v1/event-mapping.js';

/** One event of every canonical type: a new type fails to compile here until it gets a sample. */
const SAMPLES: { [T in EventType]: Extract<EventInput, { type: T }>[] } = {
  'task.started': [{ type: 'task.started', data: { taskId: 't', agentId: 'a', model: 'm' } }],
  'message.started': [{ type: 'message.started', data: { messageId: 'm', role: 'assistant' } }],
  'input.added': [{ type: 'input.added', data: { messageId: 'u', text: 'shorter, please', meta: { guidance_id: 'g1' } } }],
  'message.delta': [{ type: 'message.delta', data: { messageId: 'm', text: 'Hi' } }],
  'message.completed': [{ type: 'message.completed', data: { messageId: 'm', text: 'Hi' } }],
  'reasoning.started': [{ type: 'reasoning.started', data: { reasoningId: 'r' } }],
  'reasoning.delta': [{ type: 'reasoning.delta', data: { reasoningId: 'r', text: 'hm' } }],
  'reasoning.completed': [{ type: 'reasoning.completed', data: { reasoningId: 'r', text: 'hm' } }],
  'tool.started': [{ type: 'tool.started', data: { callId: 'c', name: 'calculator', arguments: { expression: '1+1' } } }],
  'tool.progress': [{ type: 'tool.progress', data: { callId: 'c', name: 'calculator', text: 'working' } }],
  'tool.completed': [
    { type: 'tool.completed', data: { callId: 'c', name: 'calculator', status: 'ok', result: { result: 2 } } },
    { type: 'tool.completed', data: { callId: 'c', name: 'calculator', status: 'error', result: 'bad expression' } },
    { type: 'tool.completed', data: { callId: 'c', name: 'calculator', status: 'cancelled', result: null } },
  ],
  usage: [{ type: 'usage', data: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } }],
  card: [{ type: 'card', data: { kind: 'table', content: { rows: [] } } }],
  'file.created': [{ type: 'file.created', data: { path: 'out/a.txt', name: 'a.txt', size: 3 } }],
  error: [{ type: 'error', data: { message: 'boom', code: 'upstream' } }],
  'task.finished': [
    { type: 'task.finished', data: { state: 'succeeded', usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 }, totals: { turns: 2, toolCalls: 1 } } },
    { type: 'task.finished', data: { state: 'failed', error: 'boom' } },
    { type: 'task.finished', data: { state: 'cancelled' } },
  ],
};

const at = (event: EventInput, offset = 5): TaskEvent => ({ ...event, offset, ts: 1_000_000 + offset * 10 }) as TaskEvent;
const fresh = () => new V1Fold({ conversationId: 'conv_20260101_000000_000' });

describe('canonical events as Agents API v1 events', () => {
  it('maps every canonical event to v1 events with object data', () => {
    for (const samples of Object.values(SAMPLES)) {
      for (const sample of samples) for (const v1 of fresh().apply(at(sample))) expect(v1.data).toBeTypeOf('object');
    }
  });

  it('counts the chunks of a reply from 1, with the seconds since the chunk before', () => {
    const fold = fresh();
    const delta = SAMPLES['message.delta'][0]!;
    const chunks = [
      at(SAMPLES['message.started'][0]!, 3),
      { ...at(delta, 4), ts: 2_000_000 },
      { ...at(delta, 5), ts: 2_000_250 },
      { ...at(SAMPLES['tool.started'][0]!, 6), ts: 2_000_300 },
      { ...at(delta, 9), ts: 2_001_300 },
    ].flatMap((event) => fold.apply(event)).filter((v1) => v1.type === 'text_chunk');
    expect(chunks.map((c) => [c.data.index, c.data.elapsed])).toEqual([
      [1, 0],
      [2, 0.25],
      [3, 1.05],
    ]);
  });

  it('uses the API vocabulary and data shapes', () => {
    const map = (event: EventInput) => fresh().apply(at(event));
    expect(map(SAMPLES['task.started'][0]!)).toEqual([{ type: 'ai_message_start', data: {} }]);
    expect(map(SAMPLES['reasoning.delta'][0]!)).toEqual([{ type: 'thinking_chunk', data: { content: 'hm' } }]);
    expect(map(SAMPLES['reasoning.completed'][0]!)).toEqual([{ type: 'thinking_end', data: { full_content: 'hm' } }]);
    expect(map(SAMPLES['message.delta'][0]!)).toEqual([{ type: 'text_chunk', data: { content: 'Hi', index: 1, elapsed: 0 } }]);
    expect(map(SAMPLES['message.completed'][0]!)).toEqual([{ type: 'text_end', data: { full_content: 'Hi' } }]);
    expect(map(SAMPLES['tool.started'][0]!).map((e) => e.type)).toEqual(['tool_preparing', 'tool_intent', 'tool_start']);
    expect(map(SAMPLES['tool.started'][0]!)[2]!.data).toEqual({
      id: 'c',
      name: 'calculator',
      arguments: { expression: '1+1' },
      preparing_id: 'c',
      conversation_id: 'conv_20260101_000000_000',
    });
    expect(SAMPLES['tool.completed'].map((e) => map(e)[0]!.data.status)).toEqual(['completed', 'failed', 'cancelled']);
    expect(map(SAMPLES['tool.completed'][1]!)[0]!.data.message).toBe('bad expression');
    expect(map(SAMPLES.error[0]!)).toEqual([{ type: 'error', data: { message: 'boom', code: 'upstream' } }]);
    expect(SAMPLES['task.finished'].map((e) => map(e).map((v) => v.type))).toEqual([['task_complete'], [], ['task_stopped']]);
    expect(map(SAMPLES['task.finished'][0]!)[0]!.data).toEqual({
      total_iterations: 2,
      total_tool_calls: 1,
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    expect(map(SAMPLES.usage[0]!)).toEqual([]);
  });
});
