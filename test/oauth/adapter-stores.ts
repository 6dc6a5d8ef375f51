import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

/** The data of one test, and the stores opened on it. */
export interface TestData {
  /** The store the test starts with, on fresh data. */
  first(): Promise<Store>;
  /**
   * Another store on the same data: a second instance alongside on Redis; on
   * an embedded store (one handle per folder) the earlier one is closed first
   * and the folder opened again, as at a restart. Either way a test uses only
   * the newest store after calling it.
   */
  another(): Promise<Store>;
  /** Closes every store and removes what the data left on disk. */
  dispose(): Promise<void>;
}

export type OpenData = () => Promise<TestData>;

/** Fresh data in a temp folder, for the memory (snapshot) and sqlite stores. */
export function embeddedData(open: (dataDir: string) => Promise<Store>): OpenData {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-oauth-'));
    let current = await open(dir);
    return {
      first: async () => current,
      async another() {
        await current.close();
        current = await open(dir);
        return current;
      },
      async dispose() {
        await current.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

export const memoryData = embeddedData((dataDir) => MemoryStore.open({ dataDir }));
export const sqliteData = embeddedData((dataDir) => SqliteStore.open({ dataDir }));

let prefixes = 0;
/** Fresh data under a new key prefix on a running redis-server; `another` is a second instance on it. */
export function redisData(url: () => string): OpenData {
  return async () => {
    const keyPrefix = `oauth${++prefixes}:`;
    const opened: Store[] = [];
    const open = (): Store => {
      const store = new RedisStore({ url: url(), keyPrefix });
      opened.push(store);
      return store;
    };
    const first = open();
    return {
      first: async () => first,
      another: async () => open(),
      async dispose() {
        await Promise.all(opened.splice(0).map((s) => s.close()));
      },
    };
  };
}
