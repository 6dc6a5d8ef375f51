import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { asDemoUser, startSageGateway, type SageClient } from './client.js';

let gw: TestGateway;
let alice: SageClient;
let bob: SageClient;

beforeAll(async () => {
  gw = await startSageGateway();
  alice = asDemoUser(gw, 'alice');
  bob = asDemoUser(gw, 'bob');
});
afterAll(() => gw.stop());

const FULL = {
  name: 'Research Agent',
  systemPrefix: 'You are a careful research assistant.',
  systemContext: { region: 'eu' },
  availableWorkflows: { weekly: ['a', 'b'] },
  availableTools: ['calculator'],
  availableSubAgentIds: ['demo-agent'],
  availableSkills: ['market-research'],
  availableKnowledgeBases: ['kdb_1'],
  memoryType: 'session',
  maxLoopCount: 12,
  deepThinking: true,
  llm_provider_id: 'provider_x',
  enableMultimodal: true,
  multiAgent: true,
  agentMode: 'fibre',
  subAgentSelectionMode: 'auto',
  thinkingLevel: 'high',
  moreSuggest: true,
  description: 'Handles market research',
};

async function create(client: SageClient, body: Record<string, unknown>): Promise<string> {
  const reply = await client.post('/api/agent/create', body);
  expect(reply.status, reply.text).toBe(200);
  expect(reply.body).toMatchObject({ success: true, code: 200, message: 'success' });
  return reply.body.data.agent_id as string;
}

describe('Sage agents', () => {
  it('lists the demo agent as the default, in the DTO shape', async () => {
    const reply = await alice.get('/api/agent/list');
    expect(reply.status).toBe(200);
    const list = reply.body.data as Record<string, unknown>[];
    const demo = list.find((a) => a.id === 'demo-agent')!;
    expect(demo).toMatchObject({
      name: expect.any(String),
      availableTools: ['current_time', 'calculator'],
      agentMode: 'simple',
      thinkingLevel: 'medium',
      deepThinking: false,
      is_default: true,
      availableSubAgentIds: [],
      subAgentSelectionMode: expect.any(String),
      enableMultimodal: false,
      llm_provider_id: null,
    });
    expect(new Date(demo.updated_at as string).toISOString()).toBe(demo.updated_at);
    expect(list.filter((a) => a.is_default)).toHaveLength(1);
  });

  it('stores and returns every AgentConfigDTO field, and OpenBee sees the agent', async () => {
    const id = await create(bob, FULL);
    const got = await bob.get(`/api/agent/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.data).toMatchObject({ ...FULL, id, user_id: 'bob', is_default: false });
    expect(Date.parse(got.body.data.created_at)).toBeGreaterThan(0);

    const inList = (await bob.get('/api/agent/list')).body.data.find((a: { id: string }) => a.id === id);
    expect(inList).toMatchObject(FULL);

    const workers = await fetch(`${gw.baseUrl}/openbee/api/workers`, { headers: { authorization: 'Bearer demo-token-bob' } });
    expect(workers.status).toBe(200);
    const worker = ((await workers.json()) as { id: string; name: string; memory: string }[]).find((w) => w.id === id);
    expect(worker).toMatchObject({ name: 'Research Agent', memory: FULL.systemPrefix });
  });

  it('accepts the document\'s curl example 6 unchanged; the engine runs only the tools it has', async () => {
    const example = {
      name: 'Research Agent',
      systemPrefix: 'You are a careful research assistant.',
      availableTools: ['web_search'],
      availableSkills: ['market-research'],
      memoryType: 'session',
      maxLoopCount: 10,
    };
    const id = await create(alice, example);
    expect((await alice.get(`/api/agent/${id}`)).body.data).toMatchObject(example);
    expect((await alice.post('/api/agent/abilities', { agent_id: id })).body.data.items).toEqual([]);

    await alice.call('PUT', `/api/agent/${id}`, { json: { availableTools: ['web_search', 'calculator'] } });
    expect((await alice.get(`/api/agent/${id}`)).body.data.availableTools).toEqual(['web_search', 'calculator']);
    const abilities = (await alice.post('/api/agent/abilities', { agent_id: id })).body.data.items;
    expect(abilities.map((i: { id: string }) => i.id)).toEqual(['calculator']);
  });

  it('updates only the fields sent and keeps the rest', async () => {
    const id = await create(bob, FULL);
    const put = await bob.call('PUT', `/api/agent/${id}`, { json: { agentMode: 'team', maxLoopCount: 3, systemPrefix: 'New prompt', availableSkills: [] } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.data).toEqual({ agent_id: id });
    const got = (await bob.get(`/api/agent/${id}`)).body.data;
    expect(got).toMatchObject({ ...FULL, agentMode: 'team', maxLoopCount: 3, systemPrefix: 'New prompt', availableSkills: [] });
  });

  it('maps the document example mode "default" to simple and fills defaults', async () => {
    const id = await create(alice, { name: 'Plain', agentMode: 'default' });
    const got = (await alice.get(`/api/agent/${id}`)).body.data;
    expect(got).toMatchObject({ name: 'Plain', agentMode: 'simple', thinkingLevel: 'medium', memoryType: 'session', systemPrefix: '', availableTools: [] });
  });

  it('refuses bad bodies with 400 in the envelope', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'name'],
      [{ name: '  ' }, 'name'],
      [{ name: 'x', agentMode: 'turbo' }, 'agentMode'],
      [{ name: 'x', maxLoopCount: 0 }, 'maxLoopCount'],
      [{ name: 'x', deepThinking: 'yes' }, 'deepThinking'],
      [{ name: 'x', availableSkills: 'all' }, 'availableSkills'],
      [{ name: 'x', availableTools: [1] }, 'availableTools'],
      [{ name: 'x', systemContext: [] }, 'systemContext'],
    ];
    for (const [body, field] of cases) {
      const reply = await alice.post('/api/agent/create', body, { headers: { 'Accept-Language': 'en' } });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body).toMatchObject({ success: false, code: 400 });
      expect(reply.body.message).toContain(field === 'name' ? 'name' : field);
    }
    const notObject = await alice.post('/api/agent/create', [1, 2]);
    expect(notObject.status).toBe(400);
  });

  it('answers 404 for an unknown agent and 403 to a user who may use but not change it', async () => {
    for (const [method, path] of [['GET', '/api/agent/nope'], ['PUT', '/api/agent/nope'], ['DELETE', '/api/agent/nope'], ['GET', '/api/agent/nope/auth']]) {
      const reply = await alice.call(method!, path!, method === 'PUT' ? { json: { name: 'x' } } : {});
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.body).toMatchObject({ success: false, code: 404 });
    }
    const id = await create(alice, { name: 'Alice only manages this' });
    const put = await bob.call('PUT', `/api/agent/${id}`, { json: { name: 'stolen' } });
    expect(put.status).toBe(403);
    expect(put.body).toMatchObject({ success: false, code: 403, message: '权限不足' });
    expect((await bob.call('DELETE', `/api/agent/${id}`)).status).toBe(403);
    expect((await bob.get(`/api/agent/${id}/auth`)).status).toBe(403);
    expect((await alice.get(`/api/agent/${id}`)).body.data.name).toBe('Alice only manages this');
  });

  it('deletes an agent; it is gone afterwards', async () => {
    const id = await create(bob, { name: 'Short lived' });
    const del = await bob.call('DELETE', `/api/agent/${id}`);
    expect(del.status).toBe(200);
    expect(del.body.data).toEqual({ agent_id: id });
    expect((await bob.get(`/api/agent/${id}`)).status).toBe(404);
    expect((await bob.get('/api/agent/list')).body.data.some((a: { id: string }) => a.id === id)).toBe(false);
  });

  it('an admin may change another user\'s agent', async () => {
    const id = await create(bob, { name: 'Bob\'s' });
    expect((await alice.call('PUT', `/api/agent/${id}`, { json: { description: 'by the admin' } })).status).toBe(200);
    expect((await bob.get(`/api/agent/${id}`)).body.data.description).toBe('by the admin');
  });

  it('restricts and reopens an agent with its authorization list', async () => {
    const id = await create(alice, { name: 'Restricted' });
    expect((await alice.get(`/api/agent/${id}/auth`)).body.data).toEqual([]);

    const restrict = await alice.post(`/api/agent/${id}/auth`, { user_ids: ['alice'] });
    expect(restrict.status, restrict.text).toBe(200);
    expect(restrict.body.data).toEqual({});
    expect((await alice.get(`/api/agent/${id}/auth`)).body.data).toEqual(['alice']);
    expect((await bob.get(`/api/agent/${id}`)).status).toBe(404);
    expect((await bob.get('/api/agent/list')).body.data.some((a: { id: string }) => a.id === id)).toBe(false);
    expect((await bob.post(`/api/agent/${id}/file_workspace`)).status).toBe(404);

    await alice.post(`/api/agent/${id}/auth`, { user_ids: ['bob', 'bob'] });
    expect((await bob.get(`/api/agent/${id}`)).status).toBe(200);
    expect((await alice.get(`/api/agent/${id}/auth`)).body.data).toEqual(['bob']);

    await alice.post(`/api/agent/${id}/auth`, { user_ids: [] });
    expect((await alice.get(`/api/agent/${id}/auth`)).body.data).toEqual([]);
    expect((await bob.get(`/api/agent/${id}`)).status).toBe(200);
  });

  it('refuses bad authorization bodies', async () => {
    const id = await create(alice, { name: 'Auth checks' });
    expect((await alice.post(`/api/agent/${id}/auth`, { user_ids: 'bob' })).status).toBe(400);
    const unknown = await alice.post(`/api/agent/${id}/auth`, { user_ids: ['ghost'] }, { headers: { 'X-Sage-Locale': 'en' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('ghost');
    expect((await bob.post(`/api/agent/${id}/auth`, { user_ids: ['bob'] })).status).toBe(403);
  });

  it('serves the default system prompt template in both languages', async () => {
    const zh = await alice.get('/api/agent/template/default_system_prompt', { query: { language: 'zh' } });
    expect(zh.status).toBe(200);
    expect(zh.body.data.content).toContain('角色');
    const en = await alice.get('/api/agent/template/default_system_prompt', { query: { language: 'en' } });
    expect(en.body.data.content).toContain('# Role');
    expect((await alice.get('/api/agent/template/default_system_prompt')).body.data.content).toBe(zh.body.data.content);
    expect((await alice.get('/api/agent/template/default_system_prompt', { query: { language: 'fr' } })).status).toBe(400);
  });

  it('lists the abilities of an agent from its tools', async () => {
    const reply = await alice.post('/api/agent/abilities', { agent_id: 'demo-agent' });
    expect(reply.status).toBe(200);
    expect(reply.body.data.agent_id).toBe('demo-agent');
    expect(reply.body.data.items.map((i: { id: string }) => i.id)).toEqual(['current_time', 'calculator']);
    expect(reply.body.data.items[0].description).toEqual(expect.any(String));
    expect(reply.body.data.items[0].promptText).toContain('current_time');
    const en = await alice.post('/api/agent/abilities', { agent_id: 'demo-agent', language: 'en' });
    expect(en.body.data.items[1].promptText).toMatch(/^Use calculator/);
    expect((await alice.post('/api/agent/abilities', {})).body.data.agent_id).toBe('demo-agent');
    expect((await alice.get('/api/agent/abilities', { query: { agent_id: 'nope' } })).status).toBe(404);
  });

  it('takes a client-chosen id, unique in the tenant', async () => {
    expect(await create(bob, { id: 'bobs-pick', name: 'Picked' })).toBe('bobs-pick');
    const again = await bob.post('/api/agent/create', { id: 'bobs-pick', name: 'Again' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ success: false, code: 409 });
    expect((await bob.post('/api/agent/create', { id: '..', name: 'Dots' })).status).toBe(400);
    expect((await bob.post('/api/agent/create', { id: 'a/b', name: 'Slash' })).status).toBe(400);
  });

  it('refuses settings too large to keep with the agent', async () => {
    const reply = await bob.post('/api/agent/create', { name: 'Huge', systemContext: { blob: 'x'.repeat(70_000) } });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ success: false, code: 400 });
  });

  it('needs a login', async () => {
    const reply = await alice.get('/api/agent/list', { token: null });
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ success: false, code: 401 });
  });
});

describe('Sage agents with a configured default agent', () => {
  let other: TestGateway;
  beforeAll(async () => {
    other = await startSageGateway({
      configure: (raw) => {
        raw.bootstrap.agents.push({ ...raw.bootstrap.agents[0], id: 'house-agent', name: 'House' });
        raw.dialects.sage.default_agent = 'house-agent';
      },
    });
  });
  afterAll(() => other.stop());

  it('marks the configured agent as the default, else the first the caller may use', async () => {
    const alice = asDemoUser(other, 'alice');
    const bob = asDemoUser(other, 'bob');
    const list = (await alice.get('/api/agent/list')).body.data as { id: string; is_default: boolean }[];
    expect(list[0]!.id).toBe('demo-agent');
    expect(list.filter((a) => a.is_default).map((a) => a.id)).toEqual(['house-agent']);
    expect((await alice.get('/api/agent/house-agent')).body.data.is_default).toBe(true);
    expect((await alice.get('/api/agent/demo-agent')).body.data.is_default).toBe(false);

    // Hidden from bob: his default falls back to the first agent he may use.
    expect((await alice.post('/api/agent/house-agent/auth', { user_ids: ['alice'] })).status).toBe(200);
    const bobs = (await bob.get('/api/agent/list')).body.data as { id: string; is_default: boolean }[];
    expect(bobs.filter((a) => a.is_default).map((a) => a.id)).toEqual(['demo-agent']);
  });
});
