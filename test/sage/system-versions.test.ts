/**
 * Desktop releases: admins record and delete them, the Tauri updater's check
 * and the download page's latest read them without a login.
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

const release = (version: string) => ({
  version,
  notes: `Release ${version}`,
  pub_date: '2026-11-01T10:00:00Z',
  platforms: { 'darwin-aarch64': { url: `https://downloads.example.com/sage-${version}.app.tar.gz`, signature: `sig-${version}` } },
});

describe('versions', () => {
  it('nothing recorded: check is 204, latest is null', async () => {
    const anon = new SageClient(gw.baseUrl);
    expect((await anon.get('/api/system/version/check', { query: { target: 'darwin', arch: 'aarch64', current_version: '0.1.0' } })).status).toBe(204);
    const latest = await anon.get('/api/system/version/latest');
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ success: true, code: 200, data: null });
  });

  it('an admin records releases; check answers the Tauri format for an older client, 204 for a current one', async () => {
    const alice = asDemoUser(gw);
    for (const v of ['1.0.0', '1.2.0', '1.10.0']) {
      const res = await alice.post('/api/system/version', release(v));
      expect(res.status, res.text).toBe(200);
      expect(res.body.data).toMatchObject({ version: v, notes: `Release ${v}`, pub_date: '2026-11-01T10:00:00.000Z' });
    }
    const list = await alice.get('/api/system/version');
    expect(list.body.data.map((v: { version: string }) => v.version)).toEqual(['1.10.0', '1.2.0', '1.0.0']);

    const anon = new SageClient(gw.baseUrl);
    const update = await anon.get('/api/system/version/check', { query: { target: 'darwin', arch: 'aarch64', current_version: '1.2.0' } });
    expect(update.status).toBe(200);
    expect(update.body).toEqual({ version: '1.10.0', notes: 'Release 1.10.0', pub_date: '2026-11-01T10:00:00.000Z', url: 'https://downloads.example.com/sage-1.10.0.app.tar.gz', signature: 'sig-1.10.0' });
    expect((await anon.get('/api/system/version/check', { query: { target: 'darwin', arch: 'aarch64', current_version: '1.10.0' } })).status).toBe(204);
    expect((await anon.get('/api/system/version/check', { query: { target: 'windows', arch: 'x86_64', current_version: '0.1.0' } })).status).toBe(204);
    const staticForm = await anon.get('/api/system/version/check');
    expect(staticForm.body).toMatchObject({ version: '1.10.0', platforms: { 'darwin-aarch64': { signature: 'sig-1.10.0' } } });
    expect((await anon.get('/api/system/version/latest')).body.data.version).toBe('1.10.0');

    const dup = await alice.post('/api/system/version', release('1.2.0'));
    expect(dup.status).toBe(409);
    const del = await alice.call('DELETE', '/api/system/version/1.10.0');
    expect(del.status, del.text).toBe(200);
    expect(del.body.data).toEqual({ success: true });
    expect((await anon.get('/api/system/version/latest')).body.data.version).toBe('1.2.0');
    const gone = await alice.call('DELETE', '/api/system/version/1.10.0', { headers: { 'X-Sage-Locale': 'en' } });
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe('Version not found');
  });

  it('bad input is a 400; non-admins get 403; import_github says GitHub is out of reach', async () => {
    const alice = asDemoUser(gw);
    expect((await alice.post('/api/system/version', { version: 'latest' })).status).toBe(400);
    expect((await alice.post('/api/system/version', { version: '2.0.0', platforms: { mac: 'x' } })).status).toBe(400);
    expect((await alice.post('/api/system/version', { version: '2.0.0', platforms: { 'darwin-aarch64': { url: 'file:///etc/passwd', signature: 's' } } })).status).toBe(400);
    const bob = await asDemoUser(gw, 'bob').post('/api/system/version', release('3.0.0'));
    expect(bob.status).toBe(403);
    expect(bob.body.message).toBe('权限不足');
    expect((await asDemoUser(gw, 'bob').call('DELETE', '/api/system/version/1.0.0')).status).toBe(403);
    const gh = await alice.post('/api/system/version/import_github', undefined, { headers: { 'X-Sage-Locale': 'en' } });
    expect(gh.status).toBe(503);
    expect(gh.body).toMatchObject({ success: false, code: 503, message: 'The server cannot reach GitHub; create the version manually' });
    expect((await new SageClient(gw.baseUrl).get('/api/system/version')).status).toBe(401);
  });
});
