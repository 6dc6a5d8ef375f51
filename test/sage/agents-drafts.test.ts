import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { asDemoUser, startSageGateway, type SageClient } from './client.js';

let model: OpenAIServer;
let gw: TestGateway;
let bob: SageClient;

beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startSageGateway({ modelUrl: model.url });
  bob = asDemoUser(gw, 'bob');
});
afterAll(async () => {
  await gw.stop();
  await model.close();
});

describe('Sage agent drafts from the default model', () => {
  it('auto-generates an agent config from a description', async () => {
    const draft = { name: 'Math Tutor', description: 'Explains maths', systemPrefix: 'You teach maths step by step.', availableTools: ['calculator', 'web_search'] };
    model.script([textReply('```json\n' + JSON.stringify(draft) + '\n```', { pieces: 4 })]);
    const reply = await bob.post('/api/agent/auto-generate', { agent_description: 'A tutor for maths homework', available_tools: ['calculator'] });
    expect(reply.status, reply.text).toBe(200);
    // Tools the caller did not offer (or the engine does not have) are dropped.
    expect(reply.body.data).toMatchObject({ name: 'Math Tutor', description: 'Explains maths', systemPrefix: 'You teach maths step by step.', availableTools: ['calculator'], agentMode: 'simple' });
    const sent = model.requests.at(-1)!.body;
    expect(sent.messages[0].role).toBe('system');
    expect(sent.messages[1].content).toContain('A tutor for maths homework');
    expect(sent.messages[1].content).toContain('calculator');

    // The draft saves as it is.
    const created = await bob.post('/api/agent/create', reply.body.data);
    expect(created.status, created.text).toBe(200);
  });

  it('keeps a prompt the model wrote without the JSON format', async () => {
    model.script([textReply('You are a friendly travel planner.')]);
    const reply = await bob.post('/api/agent/auto-generate', { agent_description: 'Plans trips' });
    expect(reply.status).toBe(200);
    expect(reply.body.data).toMatchObject({ systemPrefix: 'You are a friendly travel planner.', description: 'Plans trips', availableTools: [] });
  });

  it('optimizes a system prompt toward a goal', async () => {
    model.script([textReply('# Role\nYou are a concise assistant.', { pieces: 3 })]);
    const reply = await bob.post('/api/agent/system-prompt/optimize', { original_prompt: 'be short', optimization_goal: 'clearer structure' });
    expect(reply.status, reply.text).toBe(200);
    const optimized = '# Role\nYou are a concise assistant.';
    expect(reply.body.data).toEqual({
      optimized_prompt: optimized,
      original_prompt: 'be short',
      optimization_goal: 'clearer structure',
      optimization_details: { original_length: 8, optimized_length: optimized.length, optimization_goal: 'clearer structure' },
    });
    const sent = model.requests.at(-1)!.body.messages[1].content as string;
    expect(sent).toContain('be short');
    expect(sent).toContain('clearer structure');
  });

  it('refuses missing input and reports a failing model in the envelope', async () => {
    expect((await bob.post('/api/agent/auto-generate', {})).status).toBe(400);
    const missing = await bob.post('/api/agent/system-prompt/optimize', { original_prompt: '  ' }, { headers: { 'Accept-Language': 'en' } });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain('original_prompt');

    model.script([{ status: 500, body: { error: { message: 'model exploded' } } }]);
    const failed = await bob.post('/api/agent/system-prompt/optimize', { original_prompt: 'x' });
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ success: false, code: 503 });
    expect(failed.body.message).toContain('模型调用失败');
  });
});
