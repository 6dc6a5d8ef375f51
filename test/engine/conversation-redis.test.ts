import { redisPerFile } from '../support/redis-per-file.js';
import { conversationSuite } from './conversation-suite.js';

const redis = redisPerFile('c');
conversationSuite('redis', () => Promise.resolve(redis.store()));
