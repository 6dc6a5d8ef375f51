import { existsSync, readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTSIDE_UPLOADS, resolveMedia } from '../../src/dialects/openbee/media.js';
import type { OpenBeeContext } from '../../src/dialects/openbee/context.js';
import { EngineError } from '../../src/engine/errors.js';
import type { Principal } from '../../src/engine/records.js';
import { sha256 } from '../../src/engine/secrets.js';
import type { Store } from '../../src/store/store.js';
import type { TestGateway } from '../support/gateway.js';
import { loggedIn, startBeeGateway, type BeeClient } from './client.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63fcffff3f0005fe02fea7d6a0cf0000000049454e44ae426082', 'hex');

/** The file field of an upload, as a browser's form sends it. */
function form(bytes: Buffer, name: string, type = 'image/png'): FormData {
  const data = new FormData();
  data.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
  return data;
}

/** The media URL exactly as the web client builds it from an upload's `path`: no token. */
const mediaUrl = (api: string, sessionId: string, path: string) => `${api}/local/sessions/${encodeURIComponent(sessionId)}/media/${basename(path)}`;

async function newSession(client: BeeClient, name = 'chat'): Promise<string> {
  const reply = await client.post('/local/sessions', { name });
  expect(reply.status).toBe(201);
  return reply.body.id as string;
}

async function upload(client: BeeClient, sessionId: string, bytes = PNG, name = 'photo.png', type = 'image/png'): Promise<string> {
  const reply = await client.post(`/local/sessions/${encodeURIComponent(sessionId)}/media`, undefined, { form: form(bytes, name, type) });
  expect(reply.status, reply.text).toBe(200);
  return reply.body.path as string;
}

/** resolveMedia's refusal, as the message route would answer it. */
async function refusal(run: Promise<unknown>): Promise<EngineError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

describe('OpenBee session media', () => {
  let gw: TestGateway & { api: string };
  let alice: BeeClient;
  let bob: BeeClient;
  let alicePrincipal: Principal;
  let c: OpenBeeContext;

  beforeAll(async () => {
    gw = await startBeeGateway();
    alice = await loggedIn(gw.api, 'alice');
    bob = await loggedIn(gw.api, 'bob');
    alicePrincipal = await gw.gateway.engine.directory.authenticateToken('demo-token-alice');
    // resolveMedia reads only the engine of its context: the real one of the running gateway.
    c = { engine: gw.gateway.engine } as OpenBeeContext;
  });
  afterAll(() => gw?.stop());

  it('stores an upload in the session folder and answers its absolute path', async () => {
    const id = await newSession(alice);
    const path = await upload(alice, id);
    const dataDir = realpathSync(gw.config.store.data_dir);
    expect(path.startsWith(`${dataDir}/`)).toBe(true);
    expect(dirname(path).endsWith(`/local-uploads/${id}`)).toBe(true);
    expect(basename(path)).toMatch(/^[0-9a-f]{32}_photo\.png$/);
    expect(readFileSync(path).equals(PNG)).toBe(true);
  });

  it('serves the file by its link without a token, with its type and safe headers', async () => {
    const id = await newSession(alice);
    const path = await upload(alice, id);
    const response = await fetch(mediaUrl(gw.api, id, path));
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(true);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    // The download name is the uploader's: the capability does not travel with a saved file.
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="photo\.png"/);
  });

  it('serves HTML as a download, never inline on the gateway origin', async () => {
    const id = await newSession(alice);
    const path = await upload(alice, id, Buffer.from('<script>alert(1)</script>'), 'page.html', 'text/html');
    const response = await fetch(mediaUrl(gw.api, id, path));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment;/);
  });

  it('answers 404 for another session, a changed capability or a changed name', async () => {
    const id = await newSession(alice);
    const other = await newSession(alice);
    const path = await upload(alice, id);
    const name = basename(path);
    const flipped = (name[0] === 'a' ? 'b' : 'a') + name.slice(1);
    const urls = [
      mediaUrl(gw.api, other, path),
      `${gw.api}/local/sessions/${id}/media/${flipped}`,
      `${gw.api}/local/sessions/${id}/media/${name.toUpperCase()}`,
      `${gw.api}/local/sessions/${id}/media/${name.replace('photo', 'other')}`,
      `${gw.api}/local/sessions/${id}/media/photo.png`,
      `${gw.api}/local/sessions/${id}/media/${'0'.repeat(32)}_photo.png`,
    ];
    for (const url of urls) {
      const response = await fetch(url);
      expect(response.status, url).toBe(404);
      expect(await response.json()).toEqual({ error: 'file not found' });
    }
    // The right URL still works: the refusals above were about the URL, not the file.
    expect((await fetch(mediaUrl(gw.api, id, path))).status).toBe(200);
  });

  it("keeps users apart: bob can neither upload into nor serve alice's session", async () => {
    const aliceSession = await newSession(alice);
    const bobSession = await newSession(bob);
    const alicePath = await upload(alice, aliceSession);
    const intoAlice = await bob.post(`/local/sessions/${aliceSession}/media`, undefined, { form: form(PNG, 'x.png') });
    expect(intoAlice.status).toBe(404);
    expect(intoAlice.body).toEqual({ error: 'session not found' });
    const viaBob = await fetch(mediaUrl(gw.api, bobSession, alicePath));
    expect(viaBob.status).toBe(404);
    const bobPath = await upload(bob, bobSession, Buffer.from('bob'), 'notes.txt', 'text/plain');
    expect(bobPath.includes(`/local-uploads/${bobSession}/`)).toBe(true);
    expect(bobPath.startsWith(dirname(dirname(alicePath)))).toBe(false);
  });

  it('keeps only the hash of a capability in the store', async () => {
    const id = await newSession(alice);
    const capability = basename(await upload(alice, id)).slice(0, 32);
    // The engine's own store, read as an operator with its data would read it.
    const store = gw.gateway.engine['store'] as Store;
    expect(await store.get('media-link', capability)).toBeUndefined();
    expect(await store.get('media-link', sha256(capability))).toBeDefined();
  });

  it('refuses an upload without a file field (400) and into an unknown session (404)', async () => {
    const id = await newSession(alice);
    const noFile = new FormData();
    noFile.append('other', 'x');
    const missing = await alice.post(`/local/sessions/${id}/media`, undefined, { form: noFile });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/file/);
    const json = await alice.post(`/local/sessions/${id}/media`, { file: 'x' });
    expect(json.status).toBe(400);
    const unknown = await alice.post('/local/sessions/nope/media', undefined, { form: form(PNG, 'a.png') });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'session not found' });
  });

  it('cleans names that would break the URL the web client builds', async () => {
    const id = await newSession(alice);
    const path = await upload(alice, id, PNG, 'my pic#1%?.png');
    expect(basename(path)).toMatch(/^[0-9a-f]{32}_my pic_1__\.png$/);
    // `fetch` encodes the space as a browser does.
    const response = await fetch(mediaUrl(gw.api, id, path));
    expect(response.status).toBe(200);
  });

  it('gives a session whose id is not a plain name a hashed folder', async () => {
    const weird = 'conv with / and ..';
    await gw.gateway.engine.conversations.create(alicePrincipal, { id: weird, agentId: 'demo-agent' });
    const path = await upload(alice, weird);
    expect(basename(dirname(path))).toBe(`h.${sha256(weird)}`);
    expect((await fetch(mediaUrl(gw.api, weird, path))).status).toBe(200);
    const { lines } = await resolveMedia(c, alicePrincipal, weird, [path]);
    expect(lines).toEqual([`[文件] ${path}`]);
  });

  it('resolveMedia gives file lines and image references the runner can read', async () => {
    const id = await newSession(alice);
    const image = await upload(alice, id);
    const text = await upload(alice, id, Buffer.from('hello'), 'notes.txt', 'text/plain');
    const { lines, images } = await resolveMedia(c, alicePrincipal, id, [image, text]);
    expect(lines).toEqual([`[文件] ${image}`, `[文件] ${text}`]);
    expect(images).toEqual([{ area: 'local-uploads', path: `${id}/${basename(image)}`, mediaType: 'image/png' }]);
    // What the runner does with a reference when it builds the model's image part.
    const opened = await gw.gateway.engine.workspace.open(alicePrincipal, images[0]!.path, images[0]!.area);
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(PNG)).toBe(true);
  });

  it('resolveMedia refuses traversal, other sessions, other users, links out and missing files', async () => {
    const id = await newSession(alice);
    const other = await newSession(alice);
    const mine = await upload(alice, id);
    const otherFile = await upload(alice, other);
    const bobFile = await upload(bob, await newSession(bob));
    const folder = dirname(mine);
    const outside = join(gw.config.store.data_dir, 'secret.txt');
    writeFileSync(outside, 'secret');
    symlinkSync(outside, join(folder, 'link.txt'));
    const refused = [
      `${folder}/../${other}/${basename(otherFile)}`,
      otherFile,
      bobFile,
      join(folder, 'link.txt'),
      join(folder, 'missing.png'),
      folder,
      basename(mine),
      outside,
    ];
    for (const path of refused) {
      const err = await refusal(resolveMedia(c, alicePrincipal, id, [path]));
      expect(err.status, path).toBe(400);
      expect(err.message).toBe(OUTSIDE_UPLOADS);
    }
    // One bad path refuses the message, even next to a good one.
    expect((await refusal(resolveMedia(c, alicePrincipal, id, [mine, otherFile]))).status).toBe(400);
    // Someone else's session is not found, whatever the path.
    const bobs = await newSession(bob);
    expect((await refusal(resolveMedia(c, alicePrincipal, bobs, [mine]))).status).toBe(404);
  });

  it('deleting a session removes its folder and its links', async () => {
    const id = await newSession(alice);
    const path = await upload(alice, id);
    const url = mediaUrl(gw.api, id, path);
    expect((await fetch(url)).status).toBe(200);
    const deleted = await alice.delete(`/local/sessions/${id}`);
    expect(deleted.status).toBe(200);
    expect(existsSync(dirname(path))).toBe(false);
    const after = await fetch(url);
    expect(after.status).toBe(404);
    expect(await after.json()).toEqual({ error: 'file not found' });
    const capability = basename(path).slice(0, 32);
    expect(await (gw.gateway.engine['store'] as Store).get('media-link', sha256(capability))).toBeUndefined();
  });
});

describe('OpenBee session media with a small upload limit', () => {
  let gw: TestGateway & { api: string };

  beforeAll(async () => {
    gw = await startBeeGateway({
      configure: (raw) => {
        raw.server.upload_limit_bytes = 1024;
      },
    });
  });
  afterAll(() => gw?.stop());

  it('refuses a file over server.upload_limit_bytes with 413 and keeps nothing', async () => {
    const alice = await loggedIn(gw.api, 'alice');
    const id = await newSession(alice);
    const big = await alice.post(`/local/sessions/${id}/media`, undefined, { form: form(Buffer.alloc(4096, 1), 'big.bin', 'application/octet-stream') });
    expect(big.status).toBe(413);
    expect(typeof big.body.error).toBe('string');
    const small = await upload(alice, id, Buffer.alloc(512, 2), 'small.bin', 'application/octet-stream');
    // Only the file that fitted is in the session's folder.
    expect(readdirSync(dirname(small))).toEqual([basename(small)]);
  });
});
