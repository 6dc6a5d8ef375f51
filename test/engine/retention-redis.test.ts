import { redisPerFile } from '../support/redis-per-file.js';
import { retentionSuite } from './retention-suite.js';

const redis = redisPerFile('r');
retentionSuite('redis', () => Promise.resolve(redis.store()));
