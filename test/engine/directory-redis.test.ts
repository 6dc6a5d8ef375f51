import { redisPerFile } from '../support/redis-per-file.js';
import { directorySuite } from './directory-suite.js';

const redis = redisPerFile('d');
directorySuite('redis', () => Promise.resolve(redis.store()));
