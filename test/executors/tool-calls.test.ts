/**
 * Tool-call deltas as real servers send them, and the tool loop built on them:
 * whatever the shape of the deltas, the tool must run once per call with
 * arguments of the schema's types, and the model must get every result back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutorError } from '../../src/executors/executor.js';
import { lookupTools } from '../../src/executors/tools.js';
import { chunk, startOpenAIServer, textReply, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import { ofType, openaiModel, recordingTool, run } from './run-helpers.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string' }, days: { type: 'integer' }, metric: { type: 'boolean' } },
  required: ['city'],
};

function tc(fields: Record<string, unknown>) {
  return chunk.delta({ tool_calls: [fields] });
}

describe('tool-call deltas', () => {
  it('runs the calculator when its arguments arrive split over several chunks, then answers', async () => {
    server.script([
      {
        chunks: [
          chunk.delta({ role: 'assistant', content: null }),
          ...chunk.toolCall({ id: 'call_1', name: 'calculator', arguments: '{"expression": "(17 + 4) * 2"}' }, 4),
          chunk.finish('tool_calls'),
        ],
      },
      textReply('The result is 42.'),
    ]);
    const { result, events } = await run({ model: openaiModel(server.url), tools: lookupTools(['calculator']) });
    expect(result?.text).toBe('The result is 42.');
    expect(ofType(events, 'tool.started')).toEqual([
      { callId: 'call_1', name: 'calculator', arguments: { expression: '(17 + 4) * 2' } },
    ]);
    expect(ofType(events, 'tool.completed')).toEqual([
      { callId: 'call_1', name: 'calculator', status: 'ok', result: { expression: '(17 + 4) * 2', result: 42 } },
    ]);
    const second = server.requests.at(-1)!.body;
    expect(second.messages.slice(-2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'calculator', arguments: '{"expression":"(17 + 4) * 2"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"expression":"(17 + 4) * 2","result":42}' },
    ]);
    expect(result?.toolCalls).toBe(1);
    expect(result?.turns).toBe(2);
    expect(result?.messages.map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant']);
  });

  it('groups deltas that have no index by id and position', async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([
      {
        chunks: [
          tc({ id: 'a', function: { name: 'weather', arguments: '{"city":' } }),
          tc({ function: { arguments: '"Oslo"}' } }),
          tc({ id: 'b', function: { name: 'weather', arguments: '' } }),
          tc({ function: { arguments: '{"city":"Rome"}' } }),
          chunk.finish('tool_calls'),
        ],
      },
      textReply('ok'),
    ]);
    const { result, events } = await run({ model: openaiModel(server.url), tools: [tool] });
    expect(result?.text).toBe('ok');
    expect(tool.calls).toEqual([{ city: 'Oslo' }, { city: 'Rome' }]);
    expect(ofType(events, 'tool.started').map((s) => s.callId)).toEqual(['a', 'b']);
  });

  it('separates parallel calls that all come with index 0 but different ids', async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([
      {
        chunks: [
          tc({ index: 0, id: 'a', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }),
          tc({ index: 0, id: 'b', type: 'function', function: { name: 'weather', arguments: '{"city":' } }),
          tc({ index: 0, function: { arguments: '"Lima"}' } }),
          chunk.finish('tool_calls'),
        ],
      },
      textReply('ok'),
    ]);
    await run({ model: openaiModel(server.url), tools: [tool] });
    expect(tool.calls).toEqual([{ city: 'Oslo' }, { city: 'Lima' }]);
  });

  it('merges chunks that repeat the id and name in every delta', async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([
      {
        chunks: [
          tc({ index: 0, id: 'a', function: { name: 'weather', arguments: '{"ci' } }),
          tc({ index: 0, id: 'a', function: { name: 'weather', arguments: 'ty":"Paris"' } }),
          tc({ index: 0, id: 'a', function: { name: 'weather', arguments: '}' } }),
          chunk.finish('tool_calls'),
        ],
      },
      textReply('ok'),
    ]);
    await run({ model: openaiModel(server.url), tools: [tool] });
    expect(tool.calls).toEqual([{ city: 'Paris' }]);
  });

  it('copes with null name and arguments on the first chunk, and a missing id', async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([
      {
        chunks: [
          tc({ index: 0, function: { name: null, arguments: null } }),
          tc({ index: 0, function: { name: 'weather' } }),
          tc({ index: 0, function: { arguments: '{"city":"Kyiv"}' } }),
          chunk.finish('tool_calls'),
        ],
      },
      textReply('ok'),
    ]);
    const { events } = await run({ model: openaiModel(server.url), tools: [tool] });
    expect(tool.calls).toEqual([{ city: 'Kyiv' }]);
    const callId = ofType(events, 'tool.started')[0]!.callId;
    expect(callId).toMatch(/^call_/);
    const sent = server.requests.at(-1)!.body.messages;
    expect(sent.at(-2).tool_calls[0].id).toBe(callId);
    expect(sent.at(-1).tool_call_id).toBe(callId);
  });

  it('repairs duplicated argument pieces', async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([
      {
        chunks: [
          tc({ index: 0, id: 'a', function: { name: 'weather', arguments: '{"city":' } }),
          tc({ index: 0, function: { arguments: '"Bern"}' } }),
          // The whole arguments sent again at the end.
          tc({ index: 0, function: { arguments: '{"city":"Bern"}' } }),
          tc({ index: 1, id: 'b', function: { name: 'weather', arguments: '{"city":' } }),
          // The same piece sent twice in a row.
          tc({ index: 1, function: { arguments: '"Oslo"}' } }),
          tc({ index: 1, function: { arguments: '"Oslo"}' } }),
          chunk.finish('tool_calls'),
        ],
      },
      textReply('ok'),
    ]);
    await run({ model: openaiModel(server.url), tools: [tool] });
    expect(tool.calls).toEqual([{ city: 'Bern' }, { city: 'Oslo' }]);
  });

  it("converts numbers and booleans sent as strings to the schema's types", async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([toolCallReply([{ id: 'a', name: 'weather', arguments: '{"city":"Nice","days":"3","metric":"true"}' }]), textReply('ok')]);
    await run({ model: openaiModel(server.url), tools: [tool] });
    expect(tool.calls).toEqual([{ city: 'Nice', days: 3, metric: true }]);
  });

  it('accepts arguments sent as an object instead of JSON text', async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([
      { chunks: [tc({ index: 0, id: 'a', function: { name: 'weather', arguments: { city: 'Faro' } } }), chunk.finish('tool_calls')] },
      textReply('ok'),
    ]);
    await run({ model: openaiModel(server.url), tools: [tool] });
    expect(tool.calls).toEqual([{ city: 'Faro' }]);
  });

  it('runs tool calls that arrive with finish_reason "stop"', async () => {
    const tool = recordingTool('weather', weatherSchema, { temp: 20 });
    server.script([
      { chunks: [...chunk.toolCall({ id: 'a', name: 'weather', arguments: '{"city":"Riga"}' }), chunk.finish('stop')] },
      textReply('It is 20 degrees.'),
    ]);
    const { result } = await run({ model: openaiModel(server.url), tools: [tool] });
    expect(tool.calls).toEqual([{ city: 'Riga' }]);
    expect(result?.text).toBe('It is 20 degrees.');
  });

  it('sends invalid JSON arguments back to the model as an error result instead of failing', async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([toolCallReply([{ id: 'a', name: 'weather', arguments: '{"city": "Oslo' }]), textReply('Sorry.')]);
    const { result, events } = await run({ model: openaiModel(server.url), tools: [tool] });
    expect(result?.text).toBe('Sorry.');
    expect(tool.calls).toEqual([]);
    expect(ofType(events, 'tool.completed')).toEqual([
      { callId: 'a', name: 'weather', status: 'error', result: expect.stringContaining('not valid JSON') },
    ]);
    const sent = server.requests.at(-1)!.body.messages;
    expect(sent.at(-2).tool_calls[0].function.arguments).toBe('{}');
    expect(sent.at(-1)).toEqual({ role: 'tool', tool_call_id: 'a', content: expect.stringMatching(/^Error: .*not valid JSON/) });
  });

  it('answers a call to an unknown tool, or a tool that throws, with an error result', async () => {
    const failing = { name: 'broken', description: 'fails', parameters: { type: 'object' }, run: () => Promise.reject(new Error('disk full')) };
    server.script([
      toolCallReply([
        { id: 'a', name: 'nonexistent', arguments: '{}' },
        { id: 'b', name: 'broken', arguments: '{}' },
      ]),
      textReply('ok'),
    ]);
    const { result, events } = await run({ model: openaiModel(server.url), tools: [failing] });
    expect(result?.text).toBe('ok');
    expect(ofType(events, 'tool.completed').map((c) => [c.callId, c.status, c.result])).toEqual([
      ['a', 'error', 'there is no tool named "nonexistent"'],
      ['b', 'error', 'disk full'],
    ]);
    const sent = server.requests.at(-1)!.body.messages;
    expect(sent.slice(-2).map((m: { content: string }) => m.content)).toEqual([
      'Error: there is no tool named "nonexistent"',
      'Error: disk full',
    ]);
  });
});

describe('tool loop', () => {
  it('fails with loop_limit when the model still calls tools on the last allowed turn', async () => {
    const tool = recordingTool('weather', weatherSchema);
    server.script([
      toolCallReply([{ id: 'a', name: 'weather', arguments: '{"city":"A"}' }]),
      toolCallReply([{ id: 'b', name: 'weather', arguments: '{"city":"B"}' }]),
    ]);
    const before = server.requests.length;
    const { error } = await run({ model: openaiModel(server.url), tools: [tool], maxLoops: 2 });
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).code).toBe('loop_limit');
    expect(server.requests.length - before).toBe(2);
    expect(tool.calls).toEqual([{ city: 'A' }]);
  });

  it('calls the model without streaming when the model is configured so and tools are offered', async () => {
    const tool = recordingTool('weather', weatherSchema, 'sunny');
    server.script([
      {
        json: {
          id: 'x',
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [{ id: 'a', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
              },
              finish_reason: 'tool_calls',
            },
          ],
          usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
        },
      },
      {
        json: {
          choices: [{ index: 0, message: { role: 'assistant', content: 'Sunny in Oslo.' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 },
        },
      },
    ]);
    const { result, events } = await run({ model: openaiModel(server.url, { non_streaming_tools: true }), tools: [tool] });
    expect(result?.text).toBe('Sunny in Oslo.');
    expect(tool.calls).toEqual([{ city: 'Oslo' }]);
    expect(result?.usage).toEqual({ promptTokens: 29, completionTokens: 7, totalTokens: 36 });
    expect(ofType(events, 'message.completed').map((m) => m.text)).toEqual(['Sunny in Oslo.']);
    const sent = server.requests.slice(-2).map((r) => r.body);
    expect(sent.map((b) => [b.stream, b.stream_options])).toEqual([
      [false, undefined],
      [false, undefined],
    ]);
  });
});
