import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { chunk, startOpenAIServer, textReply, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import { asDemoUser, startSageGateway, type SageClient } from './client.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- lines are whatever the server sent
type Line = Record<string, any>;

/** The whole stream, split on `\n` as the web UI does, non-JSON lines skipped. */
async function readLines(client: SageClient, path: string, json: unknown): Promise<{ status: number; lines: Line[]; raw: string[]; text: string }> {
  const response = await client.fetch('POST', path, { json });
  const text = await response.text();
  const raw = text.split('\n').filter((l) => {
    try {
      JSON.parse(l);
      return true;
    } catch {
      return false;
    }
  });
  return { status: response.status, lines: raw.map((l) => JSON.parse(l) as Line), raw, text };
}

let model: OpenAIServer;
let gw: TestGateway;
let alice: SageClient;

beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startSageGateway({
    modelUrl: model.url,
    // A second configured model on the same server, told apart by the upstream id it sends.
    configure: (raw) => {
      raw.models.push({ name: 'mock-large', kind: 'openai', base_url: model.url, api_key: 'sk-test', model: 'large-upstream', max_retries: 0 });
      // What a run that asks for reasoning adds to its model calls (here: a marker the test can see).
      raw.models.find((m: { name: string }) => m.name === 'mock').reasoning_params = { thinking: { type: 'enabled' } };
    },
  });
  alice = asDemoUser(gw, 'alice');
});

afterAll(async () => {
  await gw?.stop();
  await model?.close();
});

describe('POST /api/stream', () => {
  it('applies the request\'s model and loop overrides to this run, and streams tool calls and their results', async () => {
    model.script([toolCallReply([{ id: 'call_1', name: 'calculator', arguments: '{"expression": "6 * 7"}' }]), textReply('It is 42.')]);
    const sessionId = `session_${Date.now()}_tools`;
    const out = await readLines(alice, '/api/stream', {
      messages: [{ role: 'user', content: 'what is 6 * 7?' }],
      session_id: sessionId,
      agent_id: 'demo-agent',
      llm_model_config: { model: 'mock-large' },
      max_loop_count: 3,
      agent_name: 'Calculator friend',
    });
    expect(out.status).toBe(200);
    expect(model.requests.at(-2)!.body.model).toBe('large-upstream');
    const call = out.lines.find((l) => l.type === 'tool_call')!;
    expect(call).toMatchObject({
      role: 'assistant',
      tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'calculator' } }],
      agent_name: 'Calculator friend',
      session_id: sessionId,
    });
    expect(JSON.parse(call.tool_calls[0].function.arguments)).toEqual({ expression: '6 * 7' });
    const result = out.lines.find((l) => l.type === 'tool_call_result')!;
    expect(result).toMatchObject({ role: 'tool', tool_call_id: 'call_1', session_id: sessionId });
    expect(result.content).toContain('42');
    expect(result.message_id).not.toBe(call.message_id);
    const order = out.raw.find((l) => l.includes('"tool_call_result"'))!;
    expect(order).toMatch(/^\{"role": "tool", "content": .*, "message_id": .*, "tool_call_id": "call_1", "type": "tool_call_result", "timestamp": /);
    expect(out.lines.filter((l) => l.type === 'assistant_text').map((l) => l.content).join('')).toBe('It is 42.');
    expect(out.lines.at(-1)).toMatchObject({ type: 'stream_end', total_stream_count: out.lines.length - 1 });
    expect(out.text.endsWith('}\n')).toBe(true);
  });

  it('a loop cap of 1 ends the run after one model turn: an error line, then the normal stream_end', async () => {
    model.script([toolCallReply([{ id: 'call_2', name: 'calculator', arguments: '{"expression": "1 + 1"}' }])]);
    const before = model.requests.length;
    const sessionId = `session_${Date.now()}_loop`;
    const out = await readLines(alice, '/api/stream', {
      messages: [{ role: 'user', content: 'add' }],
      session_id: sessionId,
      agent_id: 'demo-agent',
      max_loop_count: 1,
    });
    expect(model.requests.length - before).toBe(1);
    const [error, end] = out.lines.slice(-2);
    expect(error).toMatchObject({ role: 'assistant', type: 'error', session_id: sessionId });
    expect(error!.content).toContain('1 turn');
    expect(end).toMatchObject({ type: 'stream_end', session_id: sessionId, total_stream_count: out.lines.length - 1 });
  });

  it('<enable_deep_thinking>true</enable_deep_thinking> turns reasoning on for the run and streams reasoning_content deltas', async () => {
    model.script([{ chunks: [chunk.reasoning('let me '), chunk.reasoning('think'), chunk.text('Done.'), chunk.finish('stop')] }, textReply('plain')]);
    const sessionId = `session_${Date.now()}_think`;
    const out = await readLines(alice, '/api/web-stream', {
      messages: [{ role: 'user', content: '<enable_plan>false</enable_plan><enable_deep_thinking>true</enable_deep_thinking><thinking_level>high</thinking_level> ponder' }],
      session_id: sessionId,
      agent_id: 'demo-agent',
    });
    const sent = model.requests.at(-1)!.body;
    expect(sent.thinking).toEqual({ type: 'enabled' });
    expect(sent.messages.at(-1)).toMatchObject({ role: 'user', content: 'ponder' });
    const thoughts = out.lines.filter((l) => l.type === 'reasoning_content');
    expect(thoughts.map((l) => l.reasoning_content).join('')).toBe('let me think');
    expect(thoughts[0]).not.toHaveProperty('content');
    expect(out.raw.find((l) => l.includes('"reasoning_content": "let me "'))).toMatch(/^\{"role": "assistant", "reasoning_content": "let me ", "message_id": /);

    // Off by default: the next message in the session has no tag and no reasoning.
    const plain = await readLines(alice, '/api/web-stream', { messages: [{ role: 'user', content: 'again' }], session_id: sessionId });
    expect(plain.lines.at(-1)!.type).toBe('stream_end');
    expect(model.requests.at(-1)!.body.thinking).toBeUndefined();
  });

  it('applies system_prefix, system_context and available_tools to this run only', async () => {
    model.script([textReply('Bonjour.'), textReply('Hello again.')]);
    const sessionId = `session_${Date.now()}_system`;
    await readLines(alice, '/api/stream', {
      messages: [{ role: 'user', content: 'greet me' }],
      session_id: sessionId,
      agent_id: 'demo-agent',
      system_prefix: 'You answer in French.',
      system_context: { response_language: 'fr', user_city: 'Lyon' },
      available_tools: ['calculator'],
    });
    const sent = model.requests.at(-1)!.body;
    const system = sent.messages[0];
    expect(system.role).toBe('system');
    expect(system.content.startsWith('You answer in French.')).toBe(true);
    expect(system.content).toContain('"user_city": "Lyon"');
    expect(sent.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['calculator']);

    // The next run of the same session has the agent's own prompt and tools again.
    await readLines(alice, '/api/stream', { messages: [{ role: 'user', content: 'and now?' }], session_id: sessionId });
    const next = model.requests.at(-1)!.body;
    expect(next.messages[0].content).not.toContain('French');
    expect(next.messages[0].content).not.toContain('Lyon');
    expect(next.tools.map((t: { function: { name: string } }) => t.function.name).sort()).toEqual(['calculator', 'current_time']);
  });

  it('applies llm_model_config sampling settings to this run\'s model calls; where the model is stays the server\'s', async () => {
    model.script([textReply('Sampled.'), textReply('Default.')]);
    const sessionId = `session_${Date.now()}_sampling`;
    await readLines(alice, '/api/stream', {
      messages: [{ role: 'user', content: 'be creative' }],
      session_id: sessionId,
      agent_id: 'demo-agent',
      llm_model_config: { temperature: 1.3, top_p: 0.9, max_tokens: 256, base_url: 'http://169.254.169.254/v1', api_key: 'sk-other' },
    });
    const sent = model.requests.at(-1)!;
    expect(sent.body).toMatchObject({ temperature: 1.3, top_p: 0.9, max_tokens: 256 });
    // The request reached the configured server with the configured key.
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    await readLines(alice, '/api/stream', { messages: [{ role: 'user', content: 'again' }], session_id: sessionId });
    expect(model.requests.at(-1)!.body.temperature).toBeUndefined();
    for (const llm of [{ temperature: 3 }, { top_p: -1 }, { max_tokens: 1.5 }, { temperature: 'hot' }]) {
      const refused = await alice.post('/api/stream', { messages: [{ role: 'user', content: 'x' }], agent_id: 'demo-agent', llm_model_config: llm });
      expect(refused.status, JSON.stringify(llm)).toBe(400);
    }
  });

  it('an empty available_tools list runs without tools', async () => {
    model.script([textReply('No tools here.')]);
    await readLines(alice, '/api/stream', { messages: [{ role: 'user', content: 'just talk' }], agent_id: 'demo-agent', available_tools: [] });
    expect(model.requests.at(-1)!.body.tools).toBeUndefined();
  });

  it('refuses overrides it cannot apply, in Sage\'s envelope', async () => {
    const base = { messages: [{ role: 'user', content: 'hi' }], agent_id: 'demo-agent' };
    const badModel = await alice.post('/api/stream', { ...base, llm_model_config: { model: 'no-such-model' } });
    expect(badModel.status).toBe(400);
    expect(badModel.body).toMatchObject({ success: false, code: 400 });
    const badLoops = await alice.post('/api/stream', { ...base, max_loop_count: 0 });
    expect(badLoops.status).toBe(400);
    const badThinking = await alice.post('/api/stream', { ...base, deep_thinking: 'yes' });
    expect(badThinking.status).toBe(400);
    const notObject = await alice.post('/api/stream', [1, 2]);
    expect(notObject.status).toBe(400);
    const unknownTool = await alice.post('/api/stream', { ...base, available_tools: ['web_search'] });
    expect(unknownTool.status).toBe(400);
    expect(unknownTool.body.message).toContain('web_search');
    for (const body of [{ ...base, available_tools: 'calculator' }, { ...base, system_context: 'fr' }, { ...base, system_prefix: 7 }]) {
      expect((await alice.post('/api/stream', body)).status, JSON.stringify(body)).toBe(400);
    }
  });
});
