import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storeConformance } from './conformance.js';
import { delta, offsets, range, sleep } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'sb-sqlite-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// One store per test on its own folder: the file is locked to one handle, so
// every store a test asks for is that same handle.
let current: SqliteStore | undefined;
storeConformance('sqlite', async () => {
  current ??= await SqliteStore.open({ dataDir: mkdtempSync(join(root, 'c-')) });
  return current;
});
afterEach(() => {
  current = undefined;
});

describe('SqliteStore on disk', () => {
  let dir: string;
  const opened: SqliteStore[] = [];
  const open = async (): Promise<SqliteStore> => {
    const store = await SqliteStore.open({ dataDir: dir });
    opened.push(store);
    return store;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(root, 'd-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('keeps records, listings, logs and leases across close and open', async () => {
    const first = await open();
    await first.put('users', 'u1', { name: 'Ada' });
    await first.put('users', 'u1', { name: 'Ada L.' });
    await first.put('users', 'gone', 'soon', { ttlSeconds: 1 });
    await first.indexAdd('by-time', 'b', 2);
    await first.indexAdd('by-time', 'a', -Infinity);
    await first.indexAdd('by-time', 'z', Infinity);
    const epoch = await first.createLog('t1');
    for (const n of range(0, 5)) await first.append('t1', delta(n), 3);
    await first.createLog('t2');
    await first.closeLog('t2', [delta(0)], 3);
    await first.acquire('runner:t1', 'me', 60_000);
    await sleep(1_100);
    await first.close();

    const second = await open();
    expect(await second.get('users', 'u1')).toEqual({ value: { name: 'Ada L.' }, version: 2 });
    expect(await second.get('users', 'gone')).toBeUndefined();
    expect(await second.indexRange('by-time', { offset: 0, limit: 10 })).toEqual({ members: ['a', 'b', 'z'], total: 3 });
    expect(await second.indexUpTo('by-time', Infinity, 10)).toEqual(['a', 'b', 'z']);
    expect(await second.logInfo('t1')).toEqual({ epoch, next: 5, first: 2, closed: false });
    expect(offsets(await second.read('t1', 0, 10))).toEqual([2, 3, 4]);
    expect((await second.append('t1', delta(5), 3)).offset).toBe(5);
    expect(await second.logInfo('t2')).toMatchObject({ next: 1, closed: true });
    expect(await second.holder('runner:t1')).toBe('me');
    expect(await second.put('users', 'u1', { name: 'x' }, { ifVersion: 2 })).toBe(true);
  });

  it('refuses a second open of the same data_dir while the first holds it, and allows it after close', async () => {
    const first = await open();
    await first.put('c', 'x', 1);
    await expect(SqliteStore.open({ dataDir: dir })).rejects.toThrow(/in use by another process.*one gateway instance/);
    // The refused open changed nothing for the holder.
    expect((await first.get('c', 'x'))?.value).toBe(1);
    await first.close();
    expect((await (await open()).get('c', 'x'))?.value).toBe(1);
  });

  it('fails calls after close as unavailable rather than crashing', async () => {
    const store = await open();
    await store.close();
    await expect(store.get('c', 'x')).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    await expect(store.ping()).rejects.toMatchObject({ name: 'StoreUnavailableError' });
  });

  it('says at open that it serves one instance', async () => {
    const lines: string[] = [];
    const store = await SqliteStore.open({ dataDir: dir, logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m) } });
    opened.push(store);
    expect(lines).toEqual([expect.stringMatching(/switchboard\.db.*one gateway instance only/)]);
  });

  it('has every acknowledged write after the owning process is killed with SIGKILL', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if ((out.match(/^ok /gm) ?? []).length >= 200) resolve();
      });
      void exited.then(() => reject(new Error(`writer exited early: ${err}`)));
    });
    // Alive and writing: the file is its alone.
    await expect(SqliteStore.open({ dataDir: dir })).rejects.toThrow(/in use by another process/);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const acknowledged = [...out.matchAll(/^ok (\d+)$/gm)].map((m) => Number(m[1]));
    expect(acknowledged).toEqual(range(0, acknowledged.length));
    const store = await open();
    const events = await store.read('log', 0, 1_000_000);
    expect(events.length).toBeGreaterThanOrEqual(acknowledged.length);
    expect(offsets(events)).toEqual(range(0, events.length));
    const listed = await store.indexRange('list', { offset: 0, limit: 1_000_000 });
    for (const n of acknowledged) {
      expect(await store.get('rec', `r${n}`)).toEqual({ value: { n }, version: 1 });
      expect(events[n]).toMatchObject(delta(n));
      expect(listed.members[n]).toBe(`m${String(n).padStart(6, '0')}`);
    }
    // The killed writer's lease is still held (until its ttl), as after any crash.
    expect(await store.holder('writer')).toBe('child');
  });
});

/**
 * The writer process: writes a record, an event and a listing member per
 * step, and says "ok <n>" only once all three are acknowledged. It yields
 * between steps so its output reaches the test while it keeps writing.
 */
const WRITER = `
  const { SqliteStore } = await import(${JSON.stringify(pathToFileURL(join(PACKAGE_ROOT, 'dist/src/store/sqlite-store.js')).href)});
  const store = await SqliteStore.open({ dataDir: process.argv[1] });
  await store.createLog('log');
  await store.acquire('writer', 'child', 600000);
  for (let n = 0; ; n++) {
    await store.put('rec', 'r' + n, { n });
    await store.append('log', { type: 'message.delta', data: { messageId: 'm1', text: 'chunk ' + n } }, 1000000);
    await store.indexAdd('list', 'm' + String(n).padStart(6, '0'), n);
    process.stdout.write('ok ' + n + '\\n');
    await new Promise((resolve) => setImmediate(resolve));
  }
`;
