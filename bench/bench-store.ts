import { MemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { Store } from '../src/store/store.js';

export type StoreKind = Store['kind'];

export function storeKind(text: string | undefined): StoreKind {
  if (text === 'memory' || text === 'redis') return text;
  throw new Error(`--store must be memory or redis, not ${text}`);
}

/**
 * A store as the gateway would open it, minus config: memory with no snapshot
 * directory (nothing touches disk), Redis on the bench's throwaway server with
 * a key prefix of its own so runs never read each other's keys.
 */
export async function openBenchStore(kind: StoreKind, redisUrl: string | undefined): Promise<Store> {
  if (kind === 'memory') return new MemoryStore();
  if (!redisUrl) throw new Error('--redis-url is required for the Redis store');
  const store = new RedisStore({
    url: redisUrl,
    keyPrefix: `bench:${process.pid}:`,
    logger: { info: () => {}, warn: (msg) => console.error(`[redis store] ${msg}`) },
  });
  await store.ping();
  return store;
}
