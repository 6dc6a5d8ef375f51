import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { MemoryStore, type StoreLogger } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** The store the config names, connected and ready (a memory store restores its snapshot). */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  const storeLogger: StoreLogger = { info: (msg) => logger.info(msg), warn: (msg) => logger.warn(msg) };
  if (config.store.kind === 'redis') {
    const store = new RedisStore({ url: config.store.url, logger: storeLogger, commandTimeoutMs: config.store.command_timeout_ms });
    try {
      await store.ping();
    } catch (err) {
      await store.close();
      throw new Error(`cannot reach Redis at the configured store.url: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }
  if (config.store.kind === 'sqlite') return SqliteStore.open({ dataDir: config.store.data_dir, logger: storeLogger });
  return MemoryStore.open({ dataDir: config.store.data_dir, logger: storeLogger });
}
