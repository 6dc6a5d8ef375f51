import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import type { Store } from './store.js';

/** The store the config names, connected and ready (a memory store restores its snapshot). */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.store.kind === 'redis') {
    const store = new RedisStore({ url: config.store.url });
    await store.ping();
    return store;
  }
  return MemoryStore.open({
    dataDir: config.store.data_dir,
    logger: { info: (msg) => logger.info(msg), warn: (msg) => logger.warn(msg) },
  });
}
