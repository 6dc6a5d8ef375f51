/**
 * A model server without a tool-call parser, seen through the real gateway:
 * it writes its calls into `content` as `<tool_call>` blocks. A polling
 * client (Agents v1) and an SSE client (bit-Agent) both see the tool run and
 * the answer without the markup; the model gets the call and its result
 * back; with the model's `inline_tool_calls` off the markup stays text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Client } from '../agents-v1/api.js';
import { sendAndPoll } from '../agents-v1/polling-client.js';
import { startV1Gateway } from '../agents-v1/setup.js';
import { API_KEY, BitAgentClient, jsonOf, readStream, TENANT } from '../bitagent/client.js';
import type { TestGateway } from '../support/gateway.js';
import { inlineToolCall, inlineToolCallReply, startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';

let model: OpenAIServer;
let gw: TestGateway;
let v1: Client;
let bit: BitAgentClient;
let token: string;

beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startV1Gateway({
    modelUrl: model.url,
    configure: (raw) => {
      // The same server, for a model that writes such tags as text.
      raw.models.push({ name: 'literal', kind: 'openai', base_url: model.url, max_retries: 0, inline_tool_calls: false });
    },
  });
  v1 = client(gw.baseUrl);
  bit = new BitAgentClient(`${gw.baseUrl}/api`);
  const issued = await bit.call('POST', '/auth/user-token', { authorization: API_KEY, json: { user_id: 'inline-user', tenant_code: TENANT } });
  token = issued.body.data.access_token;
});
afterAll(async () => {
  await gw?.stop();
  await model?.close();
});

/** The tool turn the model server sends: text, then the call cut across chunks right through its tags. */
function inlineCalculatorTurn() {
  const text = `Let me work it out. ${inlineToolCall('calculator', { expression: '6*7' })}`;
  const cuts = [3, 21, 25, 40, 60, text.length - 5, text.length - 1];
  return inlineToolCallReply(cuts.map((end, i) => text.slice(i === 0 ? 0 : cuts[i - 1], end)).concat(text.slice(-1)));
}

/** The model's second request carries the call as an assistant tool_calls message and its result. */
function expectCallSentBack(callId: string): void {
  const [assistant, tool] = model.requests.at(-1)!.body.messages.slice(-2);
  expect(assistant).toEqual({
    role: 'assistant',
    content: 'Let me work it out. ',
    tool_calls: [{ id: callId, type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } }],
  });
  expect(tool).toEqual({ role: 'tool', tool_call_id: callId, content: '{"expression":"6*7","result":42}' });
}

describe('inline tool calls through the gateway', () => {
  it('a polling Agents v1 client sees the tool run and no markup', async () => {
    model.script([inlineCalculatorTurn(), textReply('Six times seven is 42.')]);
    const run = await sendAndPoll(v1, { message: 'What is 6 times 7?' });
    expect(run.status).toBe('succeeded');
    expect(run.text).toBe('Let me work it out. Six times seven is 42.');
    expect(JSON.stringify(run.events)).not.toMatch(/tool_call>/);
    const start = run.events.find((e) => e.type === 'tool_start')!;
    expect(start.data).toMatchObject({ id: expect.stringMatching(/^call_inline_/), name: 'calculator', arguments: { expression: '6*7' } });
    expect(run.events.find((e) => e.type === 'update_action')!.data).toMatchObject({ id: start.data.id, status: 'completed', result: { result: 42 } });
    expect(run.events.find((e) => e.type === 'task_complete')!.data).toMatchObject({ total_iterations: 2, total_tool_calls: 1 });
    expectCallSentBack(start.data.id);
  });

  it('an SSE bit-Agent client sees the same', async () => {
    model.script([inlineCalculatorTurn(), textReply('{"answer": "42"}')]);
    const created = await bit.call('POST', '/task/create', {
      token,
      json: { ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question: 'What is 6 times 7?' } },
    });
    const taskId: string = created.body.data;
    const { frames } = await readStream(bit.url(`/task/stream/${taskId}`), token);
    expect(frames.map((f) => f.data).join('\n')).not.toMatch(/tool_call>/);
    expect(frames.filter((f) => f.event === 'message').map((f) => f.data).join('')).toBe('Let me work it out. {"answer": "42"}');
    const steps = jsonOf(frames, 'step');
    expect(steps.map((s) => s.activity_name)).toEqual(['Model turn 1', 'calculator', 'Model turn 2']);
    const tool = jsonOf(frames, 'step-event').filter((u) => u.step_id === steps[1].step_id);
    expect(tool.map((u) => u.status)).toEqual(['running', 'ok']);
    expect(tool[1].outputs).toEqual({ expression: '6*7', result: 42 });
    const detail = (await bit.call('GET', `/task/detail/${taskId}`, { token })).body.data;
    expect(detail).toMatchObject({ state: 'success', outputs: { answer: '42' } });
    const sent = model.requests.at(-1)!.body.messages.at(-2);
    expectCallSentBack(sent.tool_calls[0].id);
  });

  it('a failed inline call is reported to both clients as a failed tool, and the task goes on', async () => {
    const broken = '<tool_call>{"name": "calculator", "arguments": {"expression": 6*7}}</tool_call>';
    model.script([inlineToolCallReply(broken), textReply('It is 42.')]);
    const run = await sendAndPoll(v1, { message: 'What is 6 times 7?' });
    expect(run.status).toBe('succeeded');
    expect(run.text).toBe('It is 42.');
    expect(run.events.find((e) => e.type === 'update_action')!.data).toMatchObject({ status: 'failed' });

    model.script([inlineToolCallReply(broken), textReply('{"answer": "42"}')]);
    const created = await bit.call('POST', '/task/create', {
      token,
      json: { ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question: 'What is 6 times 7?' } },
    });
    const { frames } = await readStream(bit.url(`/task/stream/${created.body.data}`), token);
    expect(frames.map((f) => f.data).join('\n')).not.toMatch(/tool_call>/);
    const steps = jsonOf(frames, 'step');
    const tool = jsonOf(frames, 'step-event').filter((u) => u.step_id === steps[1].step_id);
    expect(tool.at(-1)).toMatchObject({ status: 'fail' });
    expect((await bit.call('GET', `/task/detail/${created.body.data}`, { token })).body.data.state).toBe('success');
  });

  it('keeps the markup as text for a model with inline_tool_calls off', async () => {
    const block = inlineToolCall('calculator', { expression: '6*7' });
    const before = model.requests.length;
    model.script([inlineToolCallReply(`Write it like this: ${block}`)]);
    const run = await sendAndPoll(v1, { message: 'How do I call a tool?', model_key: 'literal' });
    expect(run.status).toBe('succeeded');
    expect(run.text).toBe(`Write it like this: ${block}`);
    expect(run.events.some((e) => e.type === 'tool_start')).toBe(false);
    expect(model.requests.length - before).toBe(1);
  });
});
