import { startRedis, type RedisServer } from '../support/redis-server.js';
import { agentsV1StoreSuite } from './store-suite.js';

let redis: RedisServer | undefined;

agentsV1StoreSuite({
  kind: 'redis',
  start: async () => {
    redis = await startRedis();
    return redis.url;
  },
  stop: async () => {
    await redis?.stop();
  },
});
