import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import { storeConformance } from './conformance.js';
import { delta, sleep } from './helpers.js';

// One store per test: data lives in the store object, so every call of one
// test shares it through this reference.
let current: MemoryStore | undefined;
storeConformance('memory', async () => {
  current ??= await MemoryStore.open();
  return current;
});
afterEach(() => {
  current = undefined;
});

describe('MemoryStore snapshot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps records, listings, logs and leases across close and open', async () => {
    const first = await MemoryStore.open({ dataDir: dir });
    await first.put('users', 'u1', { name: 'Ada' });
    await first.put('users', 'u1', { name: 'Ada L.' });
    await first.put('users', 'gone', 'soon', { ttlSeconds: 1 });
    await first.indexAdd('by-time', 'b', 2);
    await first.indexAdd('by-time', 'a', 1);
    await first.indexAdd('by-time', 'z', Infinity);
    const epoch = await first.createLog('t1');
    for (const n of [0, 1, 2, 3, 4]) await first.append('t1', delta(n), 3);
    await first.acquire('runner:t1', 'me', 60_000);
    await sleep(1_100);
    await first.close();

    const saved = JSON.parse(await readFile(join(dir, 'memory-store.json'), 'utf8')) as { records: unknown[] };
    expect(saved.records).toHaveLength(1);

    const second = await MemoryStore.open({ dataDir: dir });
    try {
      expect(await second.get('users', 'u1')).toEqual({ value: { name: 'Ada L.' }, version: 2 });
      expect(await second.get('users', 'gone')).toBeUndefined();
      expect(await second.indexRange('by-time', { offset: 0, limit: 10 })).toEqual({ members: ['a', 'b', 'z'], total: 3 });
      expect(await second.logInfo('t1')).toEqual({ epoch, next: 5, first: 2, closed: false });
      expect((await second.read('t1', 0, 10)).map((e) => e.offset)).toEqual([2, 3, 4]);
      expect((await second.append('t1', delta(5), 3)).offset).toBe(5);
      expect(await second.holder('runner:t1')).toBe('me');
      expect(await second.put('users', 'u1', { name: 'x' }, { ifVersion: 2 })).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('starts empty without a snapshot and says once that it is for one instance', async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) };
    const store = await MemoryStore.open({ dataDir: join(dir, 'new'), logger });
    expect(await store.get('users', 'u1')).toBeUndefined();
    await store.close();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^info .*instance/);
    expect(JSON.parse(await readFile(join(dir, 'new', 'memory-store.json'), 'utf8'))).toMatchObject({ records: [] });
  });

  it('refuses to open over a snapshot it cannot read', async () => {
    await writeFile(join(dir, 'memory-store.json'), '{ not json', 'utf8');
    await expect(MemoryStore.open({ dataDir: dir })).rejects.toThrow(/memory-store\.json/);
  });
});
