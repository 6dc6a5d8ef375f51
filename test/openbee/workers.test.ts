/**
 * Workers as the OpenBee web client manages them: create (only a name
 * needed; a work folder of its own), list, get, patch, delete with and
 * without its folder; the same agents the other APIs see; the folder rules.
 */
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import type { TestGateway } from '../support/gateway.js';
import { loggedIn, startBeeGateway, type BeeClient } from './client.js';

const allowedRoot = mkdtempSync(join(tmpdir(), 'sb-bee-root-'));
let model: OpenAIServer;
let gw: TestGateway & { api: string };
let alice: BeeClient;
let bob: BeeClient;
beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startBeeGateway({ modelUrl: model.url, configure: (raw) => (raw.engine.work_dir_roots = [allowedRoot]) });
  alice = await loggedIn(gw.api, 'alice');
  bob = await loggedIn(gw.api, 'bob');
});
afterAll(async () => {
  await gw?.stop();
  await model?.close();
});

const WORKER_KEYS = ['created_at', 'description', 'id', 'memory', 'name', 'status', 'updated_at', 'work_dir'];

describe('workers', () => {
  it('creates with only a name (201): a folder of its own under the data dir, status idle, times in ms', async () => {
    const before = Date.now();
    const reply = await bob.post('/workers', { name: 'Assistant' });
    expect(reply.status).toBe(201);
    expect(Object.keys(reply.body).sort()).toEqual(WORKER_KEYS);
    expect(reply.body).toMatchObject({ name: 'Assistant', description: '', memory: '', status: 'idle' });
    expect(reply.body.created_at).toBeGreaterThanOrEqual(before);
    expect(reply.body.work_dir).toBe(join(resolve(gw.config.store.data_dir), 'workers', 'demo', reply.body.id));
    expect(existsSync(reply.body.work_dir)).toBe(true);
    // The same agent through the other APIs' directory.
    const agent = await gw.gateway.engine.directory.getAgent({ tenant: 'demo', userId: 'bob', username: 'bob', admin: false, via: 'token' }, reply.body.id);
    expect(agent.name).toBe('Assistant');
  });

  it('memory is the system prompt the model gets', async () => {
    const created = await alice.post('/workers', { name: 'Poet', memory: 'You write haiku.', description: 'verse' });
    const session = await alice.post('/local/sessions', { name: 'haiku', worker_id: created.body.id });
    model.script([textReply('Autumn moon')]);
    expect((await alice.post(`/local/sessions/${session.body.id}/messages`, { content: 'a poem' })).status).toBe(202);
    await until(async () => (await alice.get(`/local/sessions/${session.body.id}/messages`)).body.length === 2);
    const request = model.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(request.messages[0]).toMatchObject({ role: 'system' });
    expect(JSON.stringify(request.messages[0]!.content)).toContain('You write haiku.');
  });

  it('lists (the demo agent and the caller\'s), gets, and updates with patch semantics', async () => {
    const created = await alice.post('/workers', { name: 'Patchy', description: 'd1', memory: 'm1' });
    const list = await alice.get('/workers');
    expect(list.status).toBe(200);
    expect(list.body.map((w: { id: string }) => w.id)).toEqual(expect.arrayContaining(['demo-agent', created.body.id]));
    const patched = await alice.put(`/workers/${created.body.id}`, { description: 'd2' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Patchy', description: 'd2', memory: 'm1' });
    expect(patched.body.updated_at).toBeGreaterThanOrEqual(created.body.updated_at);
    expect((await alice.get(`/workers/${created.body.id}`)).body).toEqual(patched.body);
  });

  it('a client-given work_dir must lie inside an allowed root', async () => {
    const inside = join(allowedRoot, 'project-a');
    const ok = await bob.post('/workers', { name: 'In', work_dir: inside });
    expect(ok.status).toBe(201);
    expect(ok.body.work_dir).toBe(inside);
    expect(existsSync(inside)).toBe(true);
    const escape = join(allowedRoot, 'link-out');
    mkdirSync(join(tmpdir(), 'sb-bee-outside'), { recursive: true });
    symlinkSync(join(tmpdir(), 'sb-bee-outside'), escape);
    for (const work_dir of ['/etc', `${allowedRoot}/../elsewhere`, allowedRoot, 'relative/dir', join(escape, 'x')]) {
      const refused = await alice.post('/workers', { name: 'Out', work_dir });
      expect(refused.status, work_dir).toBe(400);
      expect(refused.body.error).toMatch(/work_dir/);
    }
  });

  it('deletes answering JSON; delete_work_dir=true removes the folder, without it the folder stays', async () => {
    const keep = await bob.post('/workers', { name: 'Keep' });
    const drop = await bob.post('/workers', { name: 'Drop' });
    expect(await bob.delete(`/workers/${keep.body.id}`)).toMatchObject({ status: 200, body: { status: 'deleted' } });
    expect(existsSync(keep.body.work_dir)).toBe(true);
    expect((await bob.delete(`/workers/${drop.body.id}`, { query: { delete_work_dir: 'true' } })).body).toEqual({ status: 'deleted' });
    expect(existsSync(drop.body.work_dir)).toBe(false);
    expect(await bob.get(`/workers/${drop.body.id}`)).toMatchObject({ status: 404, body: { error: 'worker not found' } });
  });

  it('refuses bad bodies with 400 and another user\'s changes with 403', async () => {
    for (const json of [{}, { name: '' }, { name: 5 }, { name: 'x', memory: 3 }, [1]]) {
      const reply = await bob.post('/workers', json);
      expect(reply.status, JSON.stringify(json)).toBe(400);
      expect(Object.keys(reply.body)).toEqual(['error']);
    }
    const alices = await alice.post('/workers', { name: 'Mine' });
    const changed = await bob.put(`/workers/${alices.body.id}`, { name: 'Yours' });
    expect(changed.status).toBe(403);
    expect(Object.keys(changed.body)).toEqual(['error']);
    expect((await bob.delete(`/workers/${alices.body.id}`)).status).toBe(403);
  });

  it('status follows the worker\'s tasks: working while one runs, error after a failure, idle after success', async () => {
    const worker = await bob.post('/workers', { name: 'Busy' });
    const session = await bob.post('/local/sessions', { worker_id: worker.body.id });
    // Slow chunks keep the run going while the status is read.
    model.script([{ ...textReply('done', { pieces: 4 }), delayMs: 250 }]);
    await bob.post(`/local/sessions/${session.body.id}/messages`, { content: 'go' });
    await until(async () => (await bob.get(`/workers/${worker.body.id}`)).body.status === 'working');
    await until(async () => (await bob.get(`/workers/${worker.body.id}`)).body.status === 'idle');
    model.script([{ status: 400, body: { error: { message: 'boom' } } }]);
    await bob.post(`/local/sessions/${session.body.id}/messages`, { content: 'fail' });
    await until(async () => (await bob.get(`/workers/${worker.body.id}`)).body.status === 'error');
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}
