/**
 * Abilities and tasks beyond the happy path: paging and fuzzy search, input
 * validation naming the field, model choice, outputs that miss the schema,
 * abilities without schemas, client-executor tasks, idempotent creation
 * and the task space view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer, textReply, toolCallReply, type OpenAIServer } from '../support/openai-server.js';
import type { RawConfig, TestGateway } from '../support/gateway.js';
import { jsonOf, readStream, startBitAgentGateway, type BitAgentClient } from './client.js';

let model: OpenAIServer;
let gw: TestGateway;
let api: BitAgentClient;
let token: string;

function moreAbilities(raw: RawConfig): void {
  const add = (id: string, name: string, extra: Record<string, unknown> = {}) =>
    raw.bootstrap.agents.push({ id, tenant: 'demo', name, model: 'demo', ...extra });
  add('collector', 'Web Data Collection', {
    description: 'Collect data from a target web page',
    inputs: {
      type: 'object',
      properties: {
        url: { type: 'string', format: 'uri' },
        selector: { type: 'string' },
        pages: { type: 'integer', minimum: 1 },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['url'],
      additionalProperties: false,
    },
  });
  add('gatherer', 'Collection of données');
  add('translator', 'Translator');
}

beforeAll(async () => {
  model = await startOpenAIServer();
  ({ gw, api } = await startBitAgentGateway({ modelUrl: model.url, extra: moreAbilities }));
  token = await api.token('tasks-user');
});
afterAll(async () => {
  await gw?.stop();
  await model?.close();
});

const create = (json: Record<string, unknown>, headers?: Record<string, string>) => api.call('POST', '/task/create', { token, json, headers });

async function finished(taskId: string) {
  await readStream(api.url(`/task/stream/${taskId}`), token);
  return (await api.call('GET', `/task/detail/${taskId}`, { token })).body.data;
}

describe('POST /ability/page', () => {
  const listed = async (json: Record<string, unknown>) => {
    const reply = await api.call('POST', '/ability/page', { token, json });
    return { ids: (reply.body.data as { id: string }[]).map((a) => a.id), total: reply.body.total as number };
  };

  it('pages from index 0, by name, with the total beside the page', async () => {
    expect(await listed({})).toEqual({ ids: ['gatherer', 'demo-agent', 'translator', 'collector'], total: 4 });
    expect(await listed({ page_index: 1, page_size: 2 })).toEqual({ ids: ['translator', 'collector'], total: 4 });
    expect(await listed({ page_index: 9, page_size: 2 })).toEqual({ ids: [], total: 4 });
  });

  it('matches names fuzzily: any case, any word order, accents ignored', async () => {
    expect(await listed({ name: 'data collection' })).toEqual({ ids: ['collector'], total: 1 });
    expect(await listed({ name: 'COLLECTION' })).toEqual({ ids: ['gatherer', 'collector'], total: 2 });
    expect(await listed({ name: 'donnees collection' })).toEqual({ ids: ['gatherer'], total: 1 });
    expect(await listed({ name: 'nothing like it' })).toEqual({ ids: [], total: 0 });
  });

  it.each([
    [{ page_size: 101 }, 'page_size'],
    [{ page_size: 0 }, 'page_size'],
    [{ page_index: -1 }, 'page_index'],
    [{ page_index: 'first' }, 'page_index'],
    [{ name: 5 }, 'name'],
  ])('refuses %j with 400 naming the field', async (json, field) => {
    const reply = await api.call('POST', '/ability/page', { token, json });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ code: '400', message: expect.stringContaining(field), data: null });
  });

  it('shows an ability without schemas with the shapes it accepts and returns', async () => {
    const detail = await api.call('GET', '/ability/detail/translator', { token });
    expect(detail.body.data).toMatchObject({
      id: 'translator',
      description: null,
      inputs: { type: 'object', properties: { text: { type: 'string' } } },
      outputs: { type: 'object', properties: { text: { type: 'string' } } },
      config: { llm_registry: 'demo' },
    });
  });
});

describe('POST /task/create', () => {
  it.each([
    ['no ability_id', { executor_type: 'cloud' }, 400, 'ability_id'],
    ['no executor_type', { ability_id: 'collector' }, 400, 'executor_type'],
    ['an unknown executor_type', { ability_id: 'collector', executor_type: 'edge' }, 400, 'executor_type'],
    ['inputs that are not an object', { ability_id: 'collector', executor_type: 'cloud', inputs: [1] }, 400, 'inputs'],
    ['a missing required input', { ability_id: 'collector', executor_type: 'cloud', inputs: {} }, 400, 'inputs.url is required'],
    ['an input of the wrong format', { ability_id: 'collector', executor_type: 'cloud', inputs: { url: 'not a url' } }, 400, 'inputs.url'],
    ['a nested input of the wrong type', { ability_id: 'collector', executor_type: 'cloud', inputs: { url: 'https://x.test', tags: ['a', 3] } }, 400, 'inputs.tags[1]'],
    ['an input the schema does not allow', { ability_id: 'collector', executor_type: 'cloud', inputs: { url: 'https://x.test', colour: 'red' } }, 400, 'inputs.colour'],
    ['extensions that are not an object', { ability_id: 'collector', executor_type: 'cloud', inputs: { url: 'https://x.test' }, extensions: 'fast' }, 400, 'extensions'],
    ['a non-boolean extension flag', { ability_id: 'collector', executor_type: 'cloud', inputs: { url: 'https://x.test' }, extensions: { skip_error: 'yes' } }, 400, 'extensions.skip_error'],
    ['an unknown model', { ability_id: 'collector', executor_type: 'cloud', inputs: { url: 'https://x.test' }, extensions: { llm_registry: 'Qwen3' } }, 400, 'extensions.llm_registry'],
    ['an unknown ability', { ability_id: 'nope', executor_type: 'cloud' }, 404, 'ability not found'],
    ['another tenant’s ability', { ability_id: 'acme-agent', executor_type: 'cloud' }, 404, 'ability not found'],
  ])('refuses %s', async (_label, json, status, message) => {
    const reply = await create(json);
    expect(reply.status).toBe(status);
    expect(reply.body).toEqual({ code: String(status), message: expect.stringContaining(message), data: null });
  });

  it('names the valid models when llm_registry is unknown', async () => {
    const reply = await create({ ability_id: 'translator', executor_type: 'cloud', extensions: { llm_registry: 'GPT-4o' } });
    expect(reply.body.message).toContain('valid: demo, mock');
  });

  it('fails a task whose outputs miss the output schema, saying why', async () => {
    model.script([textReply('{"wrong": 1}')]);
    const created = await create({ ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question: 'q' }, extensions: { llm_registry: 'mock' } });
    const { frames } = await readStream(api.url(`/task/stream/${created.body.data}`), token);
    expect(frames.find((f) => f.event === 'error')?.data).toMatch(/schema/);
    expect(jsonOf(frames, 'step-event').at(-1)).toMatchObject({ status: 'fail', message: expect.stringMatching(/answer/) });
    const detail = (await api.call('GET', `/task/detail/${created.body.data}`, { token })).body.data;
    expect(detail).toMatchObject({ state: 'failed', outputs: null, error_message: expect.stringMatching(/schema/) });
  });

  it('gives an ability without an output schema its answer as {text}', async () => {
    const created = await create({ ability_id: 'translator', executor_type: 'cloud', inputs: { text: 'Bonjour' } });
    const detail = await finished(created.body.data);
    expect(detail).toMatchObject({ state: 'success', inputs: { text: 'Bonjour' }, outputs: { text: expect.stringContaining('You said: Bonjour') } });
  });

  it('returns the same task for a repeated Idempotency-Key', async () => {
    const json = { ability_id: 'translator', executor_type: 'client', inputs: { text: 'once' } };
    const first = await create(json, { 'Idempotency-Key': 'order-77' });
    const second = await create(json, { 'Idempotency-Key': 'order-77' });
    expect(second.body.data).toBe(first.body.data);
    expect((await create(json)).body.data).not.toBe(first.body.data);
  });
});

describe('client executor tasks', () => {
  it('wait pending for a client executor, can be cancelled, and then cannot be cancelled again', async () => {
    const created = await create({ ability_id: 'collector', executor_type: 'client', executor_id: 'desktop-7', inputs: { url: 'https://example.com' }, extensions: { close_browser: true } });
    const taskId = created.body.data as string;
    const pending = (await api.call('GET', `/task/detail/${taskId}`, { token })).body.data;
    expect(pending).toMatchObject({
      state: 'pending',
      executor_type: 'client',
      executor_id: 'desktop-7',
      started_at: null,
      ended_at: null,
      duration: null,
      outputs: null,
      extensions: { close_browser: true, use_incognito: false, skip_error: false, llm_registry: null },
    });
    const stream = readStream(api.url(`/task/stream/${taskId}`), token);
    expect((await api.call('POST', `/task/cancel/${taskId}`, { token })).body).toEqual({ code: '200', message: '', data: taskId });
    expect((await stream).frames).toEqual([{ event: 'close', data: 'close', id: expect.stringMatching(/^\d+$/) }]);
    const detail = (await api.call('GET', `/task/detail/${taskId}`, { token })).body.data;
    expect(detail).toMatchObject({ state: 'cancelled', ended_at: expect.any(String), duration: expect.any(Number) });
    const again = await api.call('POST', `/task/cancel/${taskId}`, { token });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ code: '409', message: expect.stringContaining('cancelled'), data: null });
  });

  it('answers 404 for unknown tasks on every task route', async () => {
    for (const [method, path] of [
      ['GET', '/task/detail/task_nope'],
      ['POST', '/task/cancel/task_nope'],
      ['GET', '/task/stream/task_nope'],
      ['GET', '/task/space_view?task_id=task_nope'],
    ] as const) {
      const reply = await api.call(method, path, { token });
      expect({ path, status: reply.status, body: reply.body }).toEqual({ path, status: 404, body: { code: '404', message: 'task not found', data: null } });
    }
    expect((await api.call('GET', '/task/space_view', { token })).body).toEqual({ code: '400', message: 'task_id is required', data: null });
  });
});

describe('GET /task/space_view', () => {
  it('shows the step tree (tool calls under the model turn that made them) and the memos', async () => {
    model.script([
      toolCallReply([{ id: 'c1', name: 'current_time', arguments: '{}' }, { id: 'c2', name: 'calculator', arguments: '{"expression":"2+2"}' }]),
      // A turn that only calls a tool still counts as a turn (its usage report shows it).
      toolCallReply([{ id: 'c3', name: 'calculator', arguments: '{"expression":"4*2"}' }]),
      textReply('{"answer": "4"}'),
    ]);
    const created = await create({ ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question: 'time and 2+2' }, extensions: { llm_registry: 'mock' } });
    const taskId = created.body.data as string;
    await finished(taskId);
    const view = (await api.call('GET', `/task/space_view?task_id=${taskId}`, { token })).body.data;
    expect(view.files).toEqual([]);
    expect(view.steps.map((s: { activity_name: string; status: string; children: { activity_name: string; status: string }[] }) => [
      s.activity_name,
      s.status,
      s.children.map((child) => [child.activity_name, child.status]),
    ])).toEqual([
      ['Model turn 1', 'ok', [['current_time', 'ok'], ['calculator', 'ok']]],
      ['Model turn 2', 'ok', [['calculator', 'ok']]],
      ['Model turn 3', 'ok', []],
    ]);
    const ids = [...view.steps, ...view.steps.flatMap((s: { children: unknown[] }) => s.children)].map((s: { step_id: string }) => s.step_id);
    expect(new Set(ids).size).toBe(6);
    expect(view.steps[0].children[1].outputs).toEqual({ expression: '2+2', result: 4 });
    expect(view.steps[2].outputs).toEqual({ answer: '4' });
    expect(view.memos).toEqual([{ id: expect.stringContaining(taskId), type: 'message', content: '{"answer": "4"}' }]);
  });
});
