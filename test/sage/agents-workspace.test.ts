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

const ws = (id: string, rest = '') => `/api/agent/${id}/file_workspace${rest}`;

function upload(client: SageClient, agentId: string, name: string, text: string, path?: string) {
  const form = new FormData();
  form.set('file', new Blob([text], { type: 'text/plain' }), name);
  if (path !== undefined) form.set('path', path);
  return client.call('POST', ws(agentId, '/upload'), { form });
}

describe('Sage agent file workspace', () => {
  it('uploads, lists, downloads and deletes files of an agent', async () => {
    const up = await upload(alice, 'demo-agent', 'notes.txt', 'hello workspace');
    expect(up.status, up.text).toBe(200);
    expect(up.body.data).toMatchObject({ filename: 'notes.txt', size: 15 });
    expect((await upload(alice, 'demo-agent', 'deep.md', '# deep', 'docs/sub')).status).toBe(200);

    const list = await alice.post(ws('demo-agent'), undefined, { query: { session_id: 'session_1' } });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toMatchObject({ agent_id: 'demo-agent', user_id: 'alice' });
    const files = list.body.data.files as { path: string; is_directory: boolean }[];
    expect(files.map((f) => [f.path, f.is_directory])).toEqual([
      ['docs', true],
      ['docs/sub', true],
      ['docs/sub/deep.md', false],
      ['notes.txt', false],
    ]);
    expect(files[3]).toMatchObject({ name: 'notes.txt', size: 15, is_directory: false });
    // Seconds, as Sage sends them.
    expect(Math.abs((files[3] as unknown as { modified_time: number }).modified_time - Date.now() / 1000)).toBeLessThan(60);

    const down = await alice.get(ws('demo-agent', '/download'), { query: { file_path: 'notes.txt' } });
    expect(down.status).toBe(200);
    expect(down.text).toBe('hello workspace');
    expect(down.headers.get('content-disposition')).toContain('notes.txt');

    const zip = await alice.fetch('GET', ws('demo-agent', '/download'), { query: { file_path: 'docs' } });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toContain('application/zip');
    expect(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');

    const del = await alice.call('DELETE', ws('demo-agent', '/delete'), { query: { file_path: 'notes.txt' } });
    expect(del.status, del.text).toBe(200);
    expect(del.body.data).toMatchObject({ deleted: true, file_path: 'notes.txt' });
    expect((await alice.get(ws('demo-agent', '/download'), { query: { file_path: 'notes.txt' } })).status).toBe(404);
    const after = await alice.post(ws('demo-agent'));
    expect(after.body.data.files.map((f: { path: string }) => f.path)).toEqual(['docs', 'docs/sub', 'docs/sub/deep.md']);
  });

  it('keeps each user\'s and each agent\'s files apart', async () => {
    await upload(alice, 'demo-agent', 'mine.txt', 'alice');
    const bobList = await bob.post(ws('demo-agent'));
    expect(bobList.status).toBe(200);
    expect(bobList.body.data.files.some((f: { path: string }) => f.path === 'mine.txt')).toBe(false);
    expect((await bob.get(ws('demo-agent', '/download'), { query: { file_path: 'mine.txt' } })).status).toBe(404);

    const other = (await alice.post('/api/agent/create', { name: 'Other' })).body.data.agent_id as string;
    expect((await alice.post(ws(other))).body.data.files).toEqual([]);
  });

  it('refuses traversal, missing paths, missing files and unknown agents', async () => {
    for (const file_path of ['../../etc/passwd', '../demo-agent/x', '%2e%2e/%2e%2e/x']) {
      const reply = await alice.get(ws('demo-agent', '/download'), { query: { file_path } });
      expect([400, 404], file_path).toContain(reply.status);
      expect(reply.body).toMatchObject({ success: false });
      const del = await alice.call('DELETE', ws('demo-agent', '/delete'), { query: { file_path } });
      expect([400, 404], file_path).toContain(del.status);
    }
    const noPath = await alice.get(ws('demo-agent', '/download'));
    expect(noPath.status).toBe(400);
    expect(noPath.body.message).toContain('file_path');
    expect((await alice.call('DELETE', ws('demo-agent', '/delete'), { query: { file_path: '/' } })).status).toBe(400);

    const noFile = await alice.call('POST', ws('demo-agent', '/upload'), { form: new FormData() });
    expect(noFile.status).toBe(400);
    expect((await upload(alice, 'demo-agent', '..', 'x')).status).toBe(400);
    expect((await upload(alice, 'demo-agent', 'x.txt', 'x', '../../escape')).status).toBe(400);

    expect((await alice.post(ws('nope'))).status).toBe(404);
    expect((await upload(alice, 'nope', 'a.txt', 'x')).status).toBe(404);
  });
});
