/**
 * File-system refusals the client caused are client errors, on the real
 * gateway over HTTP with real files: a path through a file, a folder where a
 * file is wanted (and the reverse), two uploads racing for `x` and `x/y`,
 * names too long. Never a 500. Both APIs that reach the workspace: Agents v1
 * (client paths) and bit-Agent (upload names, file ids, its users' folders).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Client, type Reply } from '../agents-v1/api.js';
import { startV1Gateway } from '../agents-v1/setup.js';
import { startBitAgentGateway, type BitAgentClient } from '../bitagent/client.js';
import type { TestGateway } from '../support/gateway.js';

const LONG = 'a'.repeat(300);

/** The Agents v1 error shape: `{success: false, error}`, and nothing of a long path beyond a short prefix. */
function v1Failure(reply: Reply, status: number, error: unknown = expect.any(String)) {
  expect({ status: reply.status, body: reply.body }).toEqual({ status, body: { success: false, error } });
  expect(String(reply.body.error)).not.toContain('a'.repeat(65));
}

function v1Form(content: string, filename: string, dir?: string): FormData {
  const form = new FormData();
  form.append('file', new Blob([content]), filename);
  if (dir !== undefined) form.append('dir', dir);
  return form;
}

describe('Agents v1: file-system errors are client errors', () => {
  let gw: TestGateway;
  let api: Client;
  const upload = (content: string, filename: string, dir?: string) => api.post('/api/v1/files/upload', { form: v1Form(content, filename, dir) });

  beforeAll(async () => {
    gw = await startV1Gateway();
    api = client(gw.baseUrl);
    // d1/x.txt a file, d2/ a folder (holding in.txt), pics.png/ a folder with an image's name.
    for (const [filename, dir] of [
      ['x.txt', 'd1'],
      ['in.txt', 'd2'],
      ['cat.txt', 'pics.png'],
    ] as const) {
      expect((await upload('content', filename, dir)).status).toBe(200);
    }
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('a path through a file names nothing: list and download answer 404 文件不存在', async () => {
    for (const path of ['d1/x.txt/y', 'd1/x.txt/y/z', 'd1/x.txt/', `d1/x.txt/${'b'.repeat(200)}`]) {
      v1Failure(await api.get('/api/v1/files', { query: { path } }), 404, '文件不存在');
      v1Failure(await api.get('/api/v1/files/download', { query: { path } }), 404, '文件不存在');
    }
    // The file itself is still listed and downloadable.
    expect((await api.get('/api/v1/files', { query: { path: 'd1/x.txt' } })).body.items).toMatchObject([{ name: 'x.txt', is_dir: false }]);
    const download = await api.get('/api/v1/files/download', { query: { path: 'd1/x.txt' } });
    expect(download.status).toBe(200);
    expect(download.bytes.toString()).toBe('content');
  });

  it('message images (a stat of a client path): through a file → 400 图片不存在, a folder → 400 图片路径是文件夹', async () => {
    const through = await api.post('/api/v1/messages', { json: { message: 'look', images: ['d1/x.txt/y.png'] } });
    v1Failure(through, 400, '图片不存在: d1/x.txt/y.png');
    const folder = await api.post('/api/v1/messages', { json: { message: 'look', images: ['pics.png'] } });
    v1Failure(folder, 400, '图片路径是文件夹: pics.png');
  });

  it('an upload onto a path under an existing file → 409, and the file is untouched', async () => {
    v1Failure(await upload('new', 'y.txt', 'd1/x.txt'), 409, '路径中已有同名文件: d1/x.txt');
    v1Failure(await upload('new', 'y.txt', 'd1/x.txt/deeper'), 409, expect.stringMatching(/^路径中已有同名文件: d1\/x\.txt/));
    v1Failure(await upload('new', 'y.txt', `d1/x.txt/${'b'.repeat(200)}`), 409);
    const listed = await api.get('/api/v1/files', { query: { path: 'd1' } });
    expect(listed.body.items).toMatchObject([{ name: 'x.txt', is_dir: false, size: 7 }]);
  });

  it('an upload whose name is an existing folder is refused, the folder untouched', async () => {
    // The upload handler checks this itself before the workspace sees it (400 同名文件夹已存在);
    // the workspace answers 409 for the same clash when it decides, as in the race below.
    v1Failure(await upload('new', 'd2'), 400, '同名文件夹已存在: d2');
    expect((await api.get('/api/v1/files', { query: { path: 'd2' } })).body.items).toMatchObject([{ name: 'in.txt' }]);
    // Leaves no temporary file behind.
    expect((await api.get('/api/v1/files')).body.items.map((i: { name: string }) => i.name)).toEqual(['d1', 'd2', 'pics.png']);
  });

  it('two uploads racing for x and x/y: one wins, the other is refused (409), never 500', async () => {
    const ROUNDS = 30;
    const seen: { round: number; file: number; folder: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const name = `race${round}`;
      // The folder upload claims the name early (it makes the folder before copying the
      // content), so it starts 0-5 ms late, for both orders to happen.
      const fileUpload = upload('file', name);
      const folderUpload = new Promise((resolve) => setTimeout(resolve, round % 6)).then(() => upload('inside', 'y', name));
      const [file, folder] = await Promise.all([fileUpload, folderUpload]);
      seen.push({ round, file: file.status, folder: folder.status });
      expect([file.status, folder.status].filter((s) => s === 200), `round ${round}: file ${file.status}, folder ${folder.status}`).toHaveLength(1);
      const [winner, loser] = file.status === 200 ? [file, folder] : [folder, file];
      if (loser === file && loser.status === 400) {
        // The folder was complete before the file upload's handler looked (its own check, see above).
        v1Failure(loser, 400, `同名文件夹已存在: ${name}`);
      } else {
        v1Failure(loser, 409);
      }
      // What is on disk is the winner, whole.
      const listed = await api.get('/api/v1/files', { query: { path: name } });
      if (winner === file) expect(listed.body.items).toMatchObject([{ name, is_dir: false, size: 4 }]);
      else expect(listed.body.items).toMatchObject([{ name: 'y', is_dir: false, size: 6 }]);
    }
    if (process.env.SHOW_RACE) console.log('race outcomes', JSON.stringify(seen));
    expect(seen.flatMap((r) => [r.file, r.folder])).not.toContain(500);
  });

  it('a 300-character path segment → 400 非法路径: path too long, in every operation', async () => {
    const tooLong = '非法路径: path too long';
    // Judged on the path alone, whatever is on disk: also where a file is in the way.
    for (const path of [LONG, `d1/${LONG}`, `${LONG}/x`, `d1/x.txt/${LONG}`]) {
      v1Failure(await api.get('/api/v1/files', { query: { path } }), 400, tooLong);
      v1Failure(await api.get('/api/v1/files/download', { query: { path } }), 400, tooLong);
    }
    v1Failure(await upload('x', LONG), 400, tooLong);
    v1Failure(await upload('x', 'ok.txt', LONG), 400, tooLong);
    v1Failure(await upload('x', 'ok.txt', `new/${LONG}`), 400, tooLong);
    v1Failure(await upload('x', 'ok.txt', `d1/x.txt/${LONG}`), 400, tooLong);
    // A whole path longer than the system allows, every segment short.
    const deep = Array.from({ length: 500 }, (_, i) => `seg${i}xx`).join('/');
    v1Failure(await api.get('/api/v1/files', { query: { path: deep } }), 400, tooLong);
    v1Failure(await upload('x', 'ok.txt', deep), 400, tooLong);
    const images = await api.post('/api/v1/messages', { json: { message: 'look', images: [`${LONG}.png`] } });
    v1Failure(images, 400, tooLong);
    // Nothing was created by the refused uploads.
    expect((await api.get('/api/v1/files')).body.items.map((i: { name: string }) => i.name)).not.toContain('new');
  });
});

describe('bit-Agent: file-system errors are client errors', () => {
  let gw: TestGateway;
  let api: BitAgentClient;
  let token: string;

  const form = (name: string, content = 'hello') => {
    const data = new FormData();
    data.append('file', new Blob([content], { type: 'text/plain' }), name);
    return data;
  };
  const upload = (name: string, as = token, content?: string) => api.call('POST', '/common/file/upload', { token: as, form: form(name, content) });
  const failure = (status: number, message: unknown = expect.any(String)) => ({ status, body: { code: String(status), message, data: null } });

  beforeAll(async () => {
    ({ gw, api } = await startBitAgentGateway());
    token = await api.token('fs-user');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('an upload name longer than a file name may be is shortened to 255 bytes, keeping its extension', async () => {
    // 100 CJK characters are 300 bytes on disk: cut on a character boundary, `.txt` kept.
    const wide = await upload('文'.repeat(100) + '.txt');
    expect(wide.status).toBe(200);
    expect(wide.body.data.name).toBe('文'.repeat(83) + '.txt');
    const cut = await upload(LONG);
    expect(cut.status).toBe(200);
    expect(cut.body.data.name).toBe('a'.repeat(255));
  });

  it('a file id that looks like a path is just an unknown id → 404', async () => {
    for (const id of ['../x', 'file_x/y', LONG, '%2e%2e%2fetc']) {
      const reply = await api.call('GET', `/common/file/${encodeURIComponent(id)}?download=1`, { token });
      expect({ status: reply.status, body: reply.body }).toEqual(failure(404, 'file not found'));
    }
  });

  it('a user whose id makes a folder name longer than the system allows still gets a workspace', async () => {
    // 128 emoji: within the API's user_id limit, 683 characters once made a folder name.
    const emoji = await api.token('😀'.repeat(128));
    const uploaded = await upload('note.txt', emoji, 'mine');
    expect(uploaded.status).toBe(200);
    const download = await fetch(uploaded.body.data.url as string, { headers: { authorization: `Bearer ${emoji}` } });
    expect(await download.text()).toBe('mine');
  });

  it('concurrent uploads of one name never clash', async () => {
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => upload('same.txt', token, `copy ${i}`)));
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    expect(new Set(replies.map((r) => r.body.data.id)).size).toBe(12);
  });

  it('a file gone from disk is 404 file not found on download, not a broken stream', async () => {
    const uploaded = await upload('gone.txt');
    const area = join(gw.config.store.data_dir, 'files');
    const found = (await readdir(area, { recursive: true })).filter((p) => p.endsWith('gone.txt'));
    expect(found).toHaveLength(1);
    await rm(join(area, found[0]!));
    const reply = await api.call('GET', `/common/file/${uploaded.body.data.id}?download=1`, { token });
    expect({ status: reply.status, body: reply.body }).toEqual(failure(404, 'file not found'));
  });
});
