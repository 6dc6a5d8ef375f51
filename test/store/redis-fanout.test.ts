import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { redisPerFile } from '../support/redis-per-file.js';
import { collect, delta, hear, offsets, range, type Collector } from './helpers.js';

const CAP = 10_000;
const redis = redisPerFile('fanout');
let admin: Redis;
beforeAll(() => {
  admin = new Redis(redis.server().url);
});
afterAll(async () => {
  await admin?.quit();
});

/** How many XRANGE calls (every read of a log's stream) the server has answered so far. */
async function streamReads(): Promise<number> {
  const stats = (await admin.info('commandstats')) as string;
  return Number(/^cmdstat_xrange:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

describe('Redis fan-out', () => {
  it('after a reconnect reads each log once for all its subscribers, and each still gets every event once, in order', async () => {
    const prefix = 'resync:';
    const writer = redis.store(prefix);
    const reader = redis.store(prefix);
    try {
      for (const log of ['a', 'b']) {
        await writer.createLog(log);
        await writer.append(log, delta(0), CAP);
      }
      // Subscribers at different places: some owe event 0, some 1, some are further ahead than the log.
      const ahead = range(0, 20).map(() => collect(reader, 'a', 5));
      const atOne = range(0, 40).map(() => collect(reader, 'a', 1));
      const fromZero = range(0, 40).map(() => collect(reader, 'a', 0));
      const other = range(0, 30).map(() => collect(reader, 'b', 0));
      // Replies come in order on the one command connection: once the last replays are in, all are.
      await all([...fromZero, ...other], 1);
      await writer.append('a', delta(1), CAP);
      await all(fromZero, 2);
      await all(atOne, 1);
      const before = await streamReads();

      await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      // Appended at once, mostly before the subscriber connection is back: only a read can bring those.
      await Promise.all([...range(2, 30).map((n) => writer.append('a', delta(n), CAP)), ...range(1, 10).map((n) => writer.append('b', delta(n), CAP))]);
      await all(fromZero, 30);
      await all(atOne, 29);
      await all(ahead, 25);
      await all(other, 10);

      // One read per log, not one per subscriber (130 of them).
      expect((await streamReads()) - before).toBe(2);
      for (const watcher of fromZero) expect(offsets(watcher.events)).toEqual(range(0, 30));
      for (const watcher of atOne) expect(offsets(watcher.events)).toEqual(range(1, 30));
      for (const watcher of ahead) expect(offsets(watcher.events)).toEqual(range(5, 30));
      for (const watcher of other) expect(offsets(watcher.events)).toEqual(range(0, 10));
      expect(fromZero[0]!.events).toEqual(await writer.read('a', 0, 100));
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('publishes without waiting for the SUBSCRIBEs of other channels', async () => {
    const prefix = 'publish:';
    const proxy = await startProxy(Number(new URL(redis.server().url).port));
    // Nothing may time out here: a publish that waited for the held SUBSCRIBE would hang the test.
    const store = new RedisStore({ url: proxy.url, keyPrefix: prefix, commandTimeoutMs: 600_000 });
    const other = redis.store(prefix);
    try {
      const onOther = hear(other, 'fast', 2);
      await other.publish('fast', 'ready');
      // This store's subscriber connection is up (its own SUBSCRIBE answered), then held back.
      const warm = hear(store, 'warm', 1);
      await store.publish('warm', 'up');
      await warm.done;
      proxy.holdSubscriber();
      const slow = hear(store, 'slow', 1);

      await store.publish('fast', 'not held up');
      expect(await onOther.done).toEqual(['ready', 'not held up']);
      // The SUBSCRIBE of `slow` had not reached the server meanwhile.
      expect(await admin.pubsub('NUMSUB', `${prefix}sig:slow`)).toEqual([`${prefix}sig:slow`, 0]);

      proxy.release();
      // A publish on a channel this instance listens on waits for that SUBSCRIBE: its own listener hears it.
      await store.publish('slow', 'heard');
      expect(await slow.done).toEqual(['heard']);
    } finally {
      proxy.release();
      await Promise.all([store.close(), other.close()]);
      await proxy.close();
    }
  });
});

async function all(watchers: Collector[], count: number): Promise<void> {
  await Promise.all(watchers.map((watcher) => watcher.received(count)));
}

interface Proxy {
  url: string;
  /** From now on, what the store's subscriber connection sends is kept back (it stays connected). */
  holdSubscriber(): void;
  /** Sends on what was kept back, and everything after. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of Redis that can hold back what one connection
 * sends: the subscriber connection, known by the name it gives itself.
 * Its SUBSCRIBEs then go unanswered while the server stays up for the
 * command connection.
 */
async function startProxy(redisPort: number): Promise<Proxy> {
  let holding = false;
  const subscribers: Array<{ backlog: Buffer[]; upstream: Socket }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(redisPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => sockets.delete(socket));
    }
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let seen = '';
    let subscriber: { backlog: Buffer[]; upstream: Socket } | undefined;
    client.on('data', (chunk: Buffer) => {
      if (!subscriber && seen.length < 4096) {
        seen += chunk.toString('latin1');
        if (seen.includes('switchboard:sub')) subscribers.push((subscriber = { backlog: [], upstream }));
      }
      if (subscriber && holding) subscriber.backlog.push(chunk);
      else upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    holdSubscriber: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const subscriber of subscribers) for (const chunk of subscriber.backlog.splice(0)) subscriber.upstream.write(chunk);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
