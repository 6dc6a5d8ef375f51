import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run by hash (EVALSHA), loaded with EVAL the first time a
 * server answers NOSCRIPT (after a restart or failover, too).
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Creates a log unless it exists; returns its epoch.
 * KEYS: meta, stream. ARGV: new epoch.
 * A stream left without its meta (a half-expired log) belongs to no epoch and is dropped.
 */
export const CREATE_LOG = new LuaScript(`
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if epoch then return epoch end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'next', 0)
return ARGV[1]
`);

/**
 * What both log-writing scripts run first and share. KEYS: meta, stream, and
 * (fenced) the lease. ARGV[1] cap, ARGV[2] channel, ARGV[3] the fence owner
 * ('' = unfenced). `refusal()` is nil when the write may go ahead, else the
 * reply the script returns: false (no log), 'closed', or 'fence'.
 * `push(json)` appends one event: its offset comes from HINCRBY inside the
 * script, so concurrent appends from any number of instances get distinct,
 * gap-free offsets, and the PUBLISH order matches the offset order. The JSON
 * is built by splicing rather than cjson, which would reorder keys and round
 * large numbers. A log already under a retention TTL passes it on to a
 * stream created after it was set.
 */
const LOG_WRITE = `
local function refusal()
  if redis.call('EXISTS', KEYS[1]) == 0 then return false end
  if redis.call('HEXISTS', KEYS[1], 'closed') == 1 then return 'closed' end
  if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[3] then return 'fence' end
  return nil
end
local function push(event)
  local offset = redis.call('HINCRBY', KEYS[1], 'next', 1) - 1
  local t = redis.call('TIME')
  local ts = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
  local json = '{"offset":' .. offset .. ',"ts":' .. ts .. ',' .. string.sub(event, 2)
  redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], offset .. '-1', 'e', json)
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 and redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  redis.call('PUBLISH', ARGV[2], json)
  return json
end
`;

/** Appends one event (ARGV[4], JSON without offset/ts); returns its stored JSON or a refusal. */
export const APPEND = new LuaScript(`${LOG_WRITE}
local refused = refusal()
if refused ~= nil then return refused end
return push(ARGV[4])
`);

/**
 * Appends the events ARGV[4..] and closes the log, in one step; returns their
 * stored JSON, 'closed' when the log was closed before (nothing appended), or
 * another refusal.
 */
export const CLOSE_LOG = new LuaScript(`${LOG_WRITE}
local refused = refusal()
if refused ~= nil then return refused end
local out = {}
for i = 4, #ARGV do out[#out + 1] = push(ARGV[i]) end
redis.call('HSET', KEYS[1], 'closed', 1)
return out
`);

/**
 * Writes a record {v: version, d: json}; returns 1, or 0 on a version mismatch.
 * KEYS: record. ARGV: json, expected version ('' = any), ttl ms ('' = none).
 */
export const PUT_RECORD = new LuaScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= v then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'd', ARGV[1])
if ARGV[3] == '' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
`);

/**
 * Reads a record and the record it names (see `Store.getLinked`): `v`, `d`
 * of the first, then, when its value is an object whose ARGV[1] is a string,
 * `v`, `d` of the record with that id. KEYS: record. ARGV: the field, then
 * what the linked collection's keys hold before and after the id
 * (`RedisKeys.recordAround`), so the key built here is the one `get` reads.
 */
export const GET_LINKED = new LuaScript(`
local first = redis.call('HMGET', KEYS[1], 'v', 'd')
if not first[2] then return first end
local value = cjson.decode(first[2])
local id = type(value) == 'table' and value[ARGV[1]]
if type(id) ~= 'string' then return first end
local linked = redis.call('HMGET', ARGV[2] .. id .. ARGV[3], 'v', 'd')
return {first[1], first[2], linked[1], linked[2]}
`);

/** Extends a lease when `owner` holds it; 1 or 0. KEYS: lease. ARGV: owner, ttl ms. */
export const RENEW_LEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** Frees a lease when `owner` holds it. KEYS: lease. ARGV: owner. */
export const RELEASE_LEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`);
