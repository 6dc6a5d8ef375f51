import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { startRedis, type RedisServer } from './redis-server.js';

/**
 * One real redis-server for the calling test file (started before its tests,
 * stopped after), and stores on it that each get a fresh key prefix, so the
 * file's suites never see each other's data. `store(prefix)` with a prefix
 * already used joins that data (a second gateway instance).
 */
export function redisPerFile(label: string): { server(): RedisServer; store(prefix?: string): RedisStore } {
  let server: RedisServer | undefined;
  let count = 0;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const running = () => {
    if (!server) throw new Error('redis-server is not running yet (call inside a test or hook)');
    return server;
  };
  return {
    server: running,
    store: (prefix = `${label}${++count}:`) => new RedisStore({ url: running().url, keyPrefix: prefix }),
  };
}
