/**
 * Sage user management and per-user config as the web UI's admin pages use
 * them: admins list, add and delete users; anyone else gets 403 in the
 * document's words; each user's config is their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { asDemoUser, SageClient, startSageGateway } from './client.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startSageGateway();
});
afterAll(async () => {
  await gw?.stop();
});

describe('admin user routes', () => {
  it('403 权限不足 / Permission denied for a non-admin on every admin route', async () => {
    const bob = asDemoUser(gw, 'bob');
    for (const [method, path, json] of [
      ['GET', '/api/user/list', undefined],
      ['POST', '/api/user/add', { username: 'mallory', password: 'mallory-password' }],
      ['POST', '/api/user/delete', { user_id: 'alice' }],
      ['POST', '/api/system/update_settings', { allow_registration: false }],
    ] as const) {
      const zh = await bob.call(method, path, { json });
      expect(zh.status, `${method} ${path}`).toBe(403);
      expect(zh.body).toMatchObject({ success: false, code: 403, message: '权限不足', error_detail: 'forbidden' });
      const en = await bob.call(method, path, { json, headers: { 'X-Sage-Locale': 'en' } });
      expect(en.body.message).toBe('Permission denied');
    }
    // Nothing changed behind the refusals.
    expect((await asDemoUser(gw).get('/api/user/list')).body.data.items.map((u: { username: string }) => u.username)).not.toContain('mallory');
  });

  it('an admin adds a user who can then log in, lists them paged, and deletes them', async () => {
    const alice = asDemoUser(gw);
    const added = await alice.post('/api/user/add', { username: 'dave', password: 'dave-password', email: 'dave@example.com' });
    expect(added.status, added.text).toBe(200);
    expect(added.body).toMatchObject({ success: true, code: 200, data: { user_id: expect.any(String) } });
    const userId = added.body.data.user_id;

    const dave = new SageClient(gw.baseUrl);
    expect((await dave.post('/api/auth/login', { username_or_email: 'dave@example.com', password: 'dave-password' })).status).toBe(200);
    expect((await dave.get('/api/auth/session')).body.data.user).toMatchObject({ userid: userId, role: 'user' });

    const all = await alice.get('/api/user/list', { query: { page: '1', page_size: '100' } });
    expect(all.status).toBe(200);
    expect(all.body.data.total).toBeGreaterThanOrEqual(3);
    expect(all.body.data.items).toContainEqual(expect.objectContaining({ userid: userId, username: 'dave', email: 'dave@example.com', role: 'user' }));
    const first = await alice.get('/api/user/list', { query: { page: '1', page_size: '1' } });
    expect(first.body.data.items).toHaveLength(1);
    expect(first.body.data.total).toBe(all.body.data.total);

    const options = await alice.get('/api/user/options');
    expect(options.body.data).toContainEqual(expect.objectContaining({ value: userId, label: 'dave' }));

    const deleted = await alice.post('/api/user/delete', { user_id: userId });
    expect(deleted.status, deleted.text).toBe(200);
    // The deleted user's session ends with them.
    expect((await dave.get('/api/auth/session')).status).toBe(401);
    const again = await alice.post('/api/user/delete', { user_id: userId }, { headers: { 'X-Sage-Locale': 'en' } });
    expect(again.status).toBe(404);
    expect(again.body.message).toBe('User not found');
  });

  it('refuses deleting yourself, a duplicate username, a bad role and a bad page', async () => {
    const alice = asDemoUser(gw);
    const self = await alice.post('/api/user/delete', { user_id: 'alice' });
    expect(self.status).toBe(400);
    expect(self.body.message).toBe('不能删除当前登录用户');
    const dup = await alice.post('/api/user/add', { username: 'bob', password: 'whatever-password' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ success: false, code: 409 });
    const role = await alice.post('/api/user/add', { username: 'erin', password: 'erin-password', role: 'root' });
    expect(role.status).toBe(400);
    const page = await alice.get('/api/user/list', { query: { page: '0' } });
    expect(page.status).toBe(400);
    const short = await alice.post('/api/user/add', { username: 'frank', password: 'short' });
    expect(short.status).toBe(400);
  });

  it('a non-admin sees only themselves in the options', async () => {
    const res = await asDemoUser(gw, 'bob').get('/api/user/options');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([expect.objectContaining({ value: 'bob', label: 'bob' })]);
  });
});

describe('user config', () => {
  it("starts empty, keeps what the user saved, and is each user's own", async () => {
    const bob = asDemoUser(gw, 'bob');
    expect((await bob.get('/api/user/config')).body.data).toEqual({ config: {} });
    const saved = await bob.post('/api/user/config', { config: { theme: 'dark', language: 'en' } });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.data).toEqual({ config: { theme: 'dark', language: 'en' } });
    expect((await bob.get('/api/user/config')).body.data).toEqual({ config: { theme: 'dark', language: 'en' } });
    expect((await asDemoUser(gw, 'alice').get('/api/user/config')).body.data).toEqual({ config: {} });
  });

  it('refuses a config that is not an object', async () => {
    const res = await asDemoUser(gw, 'bob').post('/api/user/config', { config: [1] }, { headers: { 'X-Sage-Locale': 'en' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('config must be an object');
  });
});
