import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { storeConformance } from './conformance.js';
import { collect, delta, hear, offsets, range } from './helpers.js';

const CAP = 10_000;
let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url);
});
afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

// Each test gets its own key prefix on the shared server: fresh data, while
// every store opened within the test sees the same keys.
let testNumber = 0;
let prefix = '';
afterEach(() => {
  prefix = '';
});
function makeStore(): Promise<Store> {
  if (!prefix) prefix = `t${++testNumber}:`;
  return Promise.resolve(new RedisStore({ url: server.url, keyPrefix: prefix }));
}

storeConformance('redis', makeStore);

describe('RedisStore across instances', () => {
  const stores: Store[] = [];
  const open = async (): Promise<Store> => {
    const store = await makeStore();
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('delivers an append on one instance to a subscriber on another', async () => {
    const a = await open();
    const b = await open();
    await a.createLog('t');
    await a.append('t', delta(0), CAP);
    const watcher = collect(b, 't', 0);
    expect(offsets(await watcher.received(1))).toEqual([0]);
    await a.append('t', delta(1), CAP);
    await b.append('t', delta(2), CAP);
    expect(await watcher.received(3)).toEqual(await a.read('t', 0, 10));
  });

  it('keeps one gap-free order when two instances append concurrently', async () => {
    const a = await open();
    const b = await open();
    await a.createLog('t');
    const watchers = [collect(a, 't', 0), collect(b, 't', 0)];
    await Promise.all(range(0, 200).map((n) => (n % 2 ? a : b).append('t', delta(n), CAP)));
    const stored = await b.read('t', 0, 1_000);
    expect(offsets(stored)).toEqual(range(0, 200));
    for (const watcher of watchers) expect(await watcher.received(200)).toEqual(stored);
  });

  it('broadcasts signals to every instance and shares records and leases', async () => {
    const a = await open();
    const b = await open();
    const onB = hear(b, 'cancel', 2);
    // A publish waits for its own instance's SUBSCRIBE of that channel: b listens by the time it returns.
    await b.publish('cancel', 'b listens');
    const onA = hear(a, 'cancel', 1);
    await a.publish('cancel', 'task-1');
    expect(await onB.done).toEqual(['b listens', 'task-1']);
    expect(await onA.done).toEqual(['task-1']);
    await a.put('tasks', 'x', { state: 'running' });
    expect(await b.get('tasks', 'x')).toEqual({ value: { state: 'running' }, version: 1 });
    expect(await a.acquire('runner:x', 'instance-a', 10_000)).toBe(true);
    expect(await b.acquire('runner:x', 'instance-b', 10_000)).toBe(false);
    expect(await b.holder('runner:x')).toBe('instance-a');
  });

  it('keeps stores with different key prefixes apart on one server', async () => {
    const a = new RedisStore({ url: server.url, keyPrefix: `iso-a${testNumber}:` });
    const b = new RedisStore({ url: server.url, keyPrefix: `iso-b${testNumber}:` });
    stores.push(a, b);
    await a.put('c', 'same', 'a');
    expect(await b.get('c', 'same')).toBeUndefined();
    await a.createLog('t');
    await expect(b.logInfo('t')).resolves.toBeUndefined();
  });

  it('holds two connections per instance whatever the number of subscribers', async () => {
    const store = await open();
    await store.ping();
    await store.publish('connect-subscriber', '');
    const before = await clientCount();
    const logs = range(0, 50).map((n) => `log${n}`);
    for (const log of logs) await store.createLog(log);
    const watchers = range(0, 500).map((n) => collect(store, logs[n % logs.length]!, 0));
    await Promise.all(logs.map((log) => store.append(log, delta(0), CAP)));
    for (const watcher of watchers) expect(offsets(await watcher.received(1))).toEqual([0]);
    expect(await clientCount()).toBe(before);
    for (const watcher of watchers) watcher.subscription.close();
    expect(await clientCount()).toBe(before);
  });

  it('catches up on events published while its subscriber connection was down', async () => {
    const a = await open();
    const b = await open();
    await a.createLog('t');
    const watcher = collect(b, 't', 0);
    await a.append('t', delta(0), CAP);
    await watcher.received(1);
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // Appended at once, before the subscriber connection is back: only the
    // catch-up after the reconnect can bring these.
    await Promise.all(range(1, 20).map((n) => a.append('t', delta(n), CAP)));
    expect(offsets(await watcher.received(20))).toEqual(range(0, 20));
  });

  it('settles failed, without throwing anywhere, when the store cannot read the log', async () => {
    const store = await open();
    // A key of the wrong type makes every read of this log fail on the server.
    await admin.set(`${prefix}log:{broken}:events`, 'not a stream');
    const subscription = store.subscribe('broken', 0, () => {});
    expect((await subscription.failed).message).toMatch(/WRONGTYPE/);
  });
});

async function clientCount(): Promise<number> {
  const list = (await admin.client('LIST')) as string;
  return list.trim().split('\n').length;
}
