/**
 * Tool calls a server without a tool-call parser writes into `content` as
 * `<tool_call>` blocks: they run like any other call, go back to the model
 * as an assistant `tool_calls` message with its tool results, and their
 * markup never becomes answer text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventInput } from '../../src/engine/events.js';
import { TurnOutput } from '../../src/executors/openai/turn-output.js';
import { lookupTools } from '../../src/executors/tools.js';
import {
  chunk,
  inlineToolCall,
  inlineToolCallReply,
  startOpenAIServer,
  textReply,
  type OpenAIServer,
} from '../support/openai-server.js';
import { ofType, openaiModel, run, streamed } from './run-helpers.js';

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});

const tools = lookupTools(['current_time', 'calculator']);
const INLINE_ID = /^call_inline_[0-9a-f]{24}$/;

/** No text any dialect gets (deltas, completed messages, the result) holds tool call markup. */
function expectNoMarkup(events: EventInput[], text: string | undefined): void {
  const shown = [streamed(events, 'message'), ...ofType(events, 'message.completed').map((m) => m.text), text ?? ''];
  for (const t of shown) expect(t).not.toMatch(/tool_call/);
}

describe('inline tool calls', () => {
  it('runs one call written into the content and sends it back as a tool_calls message with its result', async () => {
    const requestsBefore = server.requests.length;
    server.script([
      inlineToolCallReply(`Let me check the clock. ${inlineToolCall('current_time', { timezone: 'UTC' })}`),
      textReply('It is noon in UTC.'),
    ]);
    const { result, events, error } = await run({ model: openaiModel(server.url), tools });
    expect(error).toBeUndefined();
    expect(result?.text).toBe('It is noon in UTC.');
    expect(streamed(events, 'message')).toBe('Let me check the clock. It is noon in UTC.');
    expectNoMarkup(events, result?.text);

    const [started] = ofType(events, 'tool.started');
    expect(started).toEqual({ callId: expect.stringMatching(INLINE_ID), name: 'current_time', arguments: { timezone: 'UTC' } });
    expect(ofType(events, 'tool.completed')).toEqual([
      { callId: started!.callId, name: 'current_time', status: 'ok', result: expect.objectContaining({ timezone: 'UTC' }) },
    ]);

    expect(server.requests.length - requestsBefore).toBe(2);
    const [assistant, tool] = server.requests.at(-1)!.body.messages.slice(-2);
    expect(assistant).toEqual({
      role: 'assistant',
      content: 'Let me check the clock. ',
      tool_calls: [
        { id: started!.callId, type: 'function', function: { name: 'current_time', arguments: '{"timezone":"UTC"}' } },
      ],
    });
    expect(tool).toEqual({ role: 'tool', tool_call_id: started!.callId, content: expect.stringContaining('"timezone":"UTC"') });
    expect(result).toMatchObject({ toolCalls: 1, turns: 2 });
  });

  it('runs two calls of one turn in order, each answered in the next request', async () => {
    server.script([
      inlineToolCallReply(
        `${inlineToolCall('current_time', {})}\n${inlineToolCall('calculator', { expression: '6*7' })}\n`,
        { pieces: 9 },
      ),
      textReply('Done.'),
    ]);
    const { result, events } = await run({ model: openaiModel(server.url), tools });
    expect(result?.text).toBe('Done.');
    // The tool turn said nothing but its calls: no message at all, not even whitespace.
    expect(ofType(events, 'message.completed').map((m) => m.text)).toEqual(['Done.']);
    const completed = ofType(events, 'tool.completed');
    expect(completed.map((c) => [c.name, c.status])).toEqual([
      ['current_time', 'ok'],
      ['calculator', 'ok'],
    ]);
    expect(completed[1]!.result).toEqual({ expression: '6*7', result: 42 });
    const ids = completed.map((c) => c.callId);
    expect(new Set(ids).size).toBe(2);
    const sent = server.requests.at(-1)!.body.messages.slice(-3);
    expect(sent[0]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: ids[0], type: 'function', function: { name: 'current_time', arguments: '{}' } },
        { id: ids[1], type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } },
      ],
    });
    expect(sent.slice(1).map((m: { role: string; tool_call_id: string }) => [m.role, m.tool_call_id])).toEqual([
      ['tool', ids[0]],
      ['tool', ids[1]],
    ]);
    expect(sent[2].content).toBe('{"expression":"6*7","result":42}');
  });

  it('recognises the tags and the JSON cut across chunks', async () => {
    server.script([
      inlineToolCallReply([
        'The product: <',
        'tool',
        '_call>{"na',
        'me": "calculator", "argu',
        'ments": {"expression": "6*7"}}</tool_',
        'call',
        '>',
      ]),
      textReply('It is 42.'),
    ]);
    const { result, events } = await run({ model: openaiModel(server.url), tools });
    expect(result?.text).toBe('It is 42.');
    expect(streamed(events, 'message')).toBe('The product: It is 42.');
    expectNoMarkup(events, result?.text);
    expect(ofType(events, 'tool.completed').map((c) => c.result)).toEqual([{ expression: '6*7', result: 42 }]);
  });

  it('reports a block that is not JSON as a failed call the model reads, and goes on', async () => {
    server.script([
      inlineToolCallReply('<tool_call>{"name": "calculator", "arguments": {"expression": 6*7}}</tool_call>'),
      textReply('Sorry, let me answer directly: 42.'),
    ]);
    const { result, events, error } = await run({ model: openaiModel(server.url), tools });
    expect(error).toBeUndefined();
    expect(result?.text).toBe('Sorry, let me answer directly: 42.');
    expectNoMarkup(events, result?.text);
    const [completed] = ofType(events, 'tool.completed');
    expect(completed).toMatchObject({ name: 'calculator', status: 'error', result: expect.stringContaining('not valid JSON') });
    const [assistant, tool] = server.requests.at(-1)!.body.messages.slice(-2);
    expect(assistant.tool_calls).toEqual([
      { id: completed!.callId, type: 'function', function: { name: 'calculator', arguments: '{}' } },
    ]);
    expect(tool).toEqual({ role: 'tool', tool_call_id: completed!.callId, content: expect.stringMatching(/^Error: the tool call is not valid JSON/) });
  });

  it('reports a call of a tool the agent does not have like any unknown tool', async () => {
    server.script([inlineToolCallReply(inlineToolCall('weather', { city: 'Oslo' })), textReply('I cannot check the weather.')]);
    const { result, events } = await run({ model: openaiModel(server.url), tools });
    expect(result?.text).toBe('I cannot check the weather.');
    expect(ofType(events, 'tool.completed')).toEqual([
      { callId: expect.stringMatching(INLINE_ID), name: 'weather', status: 'error', result: 'there is no tool named "weather"' },
    ]);
  });

  it('reports a block cut off by the end of the stream as a failed call', async () => {
    server.script([
      { chunks: [chunk.text('<tool_call>{"name": "calculator", "arguments": {"expr'), chunk.finish('length')] },
      textReply('Let me try again later.'),
    ]);
    const { result, events } = await run({ model: openaiModel(server.url), tools });
    expect(result?.text).toBe('Let me try again later.');
    expectNoMarkup(events, result?.text);
    expect(ofType(events, 'tool.completed')).toEqual([
      expect.objectContaining({ name: 'calculator', status: 'error', result: expect.stringContaining('cut off before </tool_call>') }),
    ]);
  });

  it('recognises blocks in a non-streamed answer too', async () => {
    server.script([
      {
        json: {
          id: 'x',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: inlineToolCall('calculator', { expression: '2+2' }) }, finish_reason: 'stop' }],
        },
      },
      { json: { id: 'y', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Four.' }, finish_reason: 'stop' }] } },
    ]);
    const { result, events } = await run({ model: openaiModel(server.url, { non_streaming_tools: true }), tools });
    expect(result?.text).toBe('Four.');
    expect(ofType(events, 'tool.completed').map((c) => c.result)).toEqual([{ expression: '2+2', result: 4 }]);
  });

  it('runs the call after inline reasoning, and not a call that was part of the reasoning', async () => {
    server.script([
      inlineToolCallReply(`<think>\nThe user wants the time.\n</think>\n\n${inlineToolCall('current_time', {})}`),
      textReply('Here it is.'),
    ]);
    const first = await run({ model: openaiModel(server.url), tools });
    expect(ofType(first.events, 'reasoning.completed').map((r) => r.text)).toEqual(['The user wants the time.\n']);
    expect(ofType(first.events, 'tool.completed').map((c) => c.name)).toEqual(['current_time']);
    expect(first.result?.text).toBe('Here it is.');

    // A chat template that opened <think> itself: everything before </think> was reasoning, calls included.
    const thought = `Maybe ${inlineToolCall('calculator', { expression: '1+1' })} is needed`;
    server.script([inlineToolCallReply(`${thought}</think>The answer is 2.`)]);
    const second = await run({ model: openaiModel(server.url), tools });
    expect(ofType(second.events, 'tool.started')).toEqual([]);
    expect(second.result?.text).toBe('The answer is 2.');
    expect(ofType(second.events, 'reasoning.completed').map((r) => r.text).join('')).toBe(thought);
  });

  it('leaves the markup as text when the model turns recognition off', async () => {
    const block = inlineToolCall('current_time', {});
    const before = server.requests.length;
    server.script([inlineToolCallReply(`Example: ${block}`)]);
    const { result, events } = await run({ model: openaiModel(server.url, { inline_tool_calls: false }), tools });
    expect(result?.text).toBe(`Example: ${block}`);
    expect(ofType(events, 'tool.started')).toEqual([]);
    expect(server.requests.length - before).toBe(1);
  });

  it('leaves the markup as text on a turn that offered no tools', async () => {
    const block = inlineToolCall('current_time', {});
    server.script([inlineToolCallReply(`Example: ${block}`)]);
    const { result, events } = await run({ model: openaiModel(server.url), tools: [] });
    expect(result?.text).toBe(`Example: ${block}`);
    expect(ofType(events, 'tool.started')).toEqual([]);
  });
});

describe('TurnOutput with inline tool calls', () => {
  it('streams text without `<` at once and holds back only a possible opening tag', async () => {
    const events: EventInput[] = [];
    const output = new TurnOutput(async (e) => void events.push(e), { inlineToolCalls: true });
    await output.content('Hello');
    expect(streamed(events, 'message')).toBe('Hello');
    await output.content(' there <tool');
    expect(streamed(events, 'message')).toBe('Hello there ');
    await output.content('box> is a tag');
    expect(streamed(events, 'message')).toBe('Hello there <toolbox> is a tag');
    await output.content(' <tool_call>{"name": "calculator"}</tool_call>');
    await output.finish();
    expect(output.text).toBe('Hello there <toolbox> is a tag ');
    expect(output.inlineCalls).toEqual([{ name: 'calculator', arguments: '{}' }]);
  });
});
