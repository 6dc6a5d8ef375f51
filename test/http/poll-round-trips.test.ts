import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/engine/secrets.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { commandCalls, delta } from '../support/redis-commands.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const POLLS = 20;
/** A token of alice's that no request has shown yet: the first poll with it finds the credential cache cold. */
const FRESH_TOKEN = 'poll-round-trips-token';
/** A token of alice's in the shape an older version stored: without the id of her user record. */
const LEGACY_TOKEN = 'poll-round-trips-legacy-token';

/**
 * Redis round trips of what a delta holds: one per MULTI…EXEC block, one per
 * script call (EVALSHA or EVAL), one per other top-level command. `inside` is
 * how many of the counted commands ran inside the blocks or the scripts
 * (Redis counts those one by one, and `multi`/`exec` once per block).
 */
function roundTrips(counted: Record<string, number>, inside: number): number {
  const total = Object.values(counted).reduce((sum, calls) => sum + calls, 0);
  const blocks = counted.exec ?? 0;
  const topLevel = total - inside - 2 * blocks;
  return blocks + topLevel;
}

/**
 * What an authenticated Agents v1 poll of a finished task costs in Redis,
 * counted by the server itself: the credential and its user are read at
 * once and then kept by the gateway, and the task record, its log's bounds
 * and the page of events come back in one MULTI/EXEC.
 */
describe('an Agents v1 poll on Redis', () => {
  let redis: RedisServer;
  let gw: TestGateway;
  let admin: Redis;
  let taskId: string;
  let events: unknown[];
  const poll = (token: string) =>
    fetch(`${gw.baseUrl}/api/v1/tasks/${taskId}?from=0`, { headers: { authorization: `Bearer ${token}` } });

  /** What Redis ran for each batch of polls with `token` (`batches`: how many polls each), every poll answered with the task's events. */
  async function pollCosts(token: string, batches: number[]): Promise<Array<Record<string, number>>> {
    const costs: Array<Record<string, number>> = [];
    let before = await commandCalls(admin);
    for (const polls of batches) {
      for (let i = 0; i < polls; i++) {
        const reply = await poll(token);
        expect(reply.status).toBe(200);
        expect(await reply.json()).toMatchObject({ success: true, data: { task_id: taskId, status: 'succeeded', events } });
      }
      const after = await commandCalls(admin);
      costs.push(delta(before, after));
      before = after;
    }
    return costs;
  }

  beforeAll(async () => {
    redis = await startRedis();
    gw = await startTestGateway({
      store: 'redis',
      redisUrl: redis.url,
      configure: (raw) => {
        raw.bootstrap.users[0].tokens.push(FRESH_TOKEN);
        // Longer than the test: no verified credential may lapse while it counts.
        raw.auth = { ...raw.auth, cache_ms: 60_000 };
      },
    });
    admin = new Redis(redis.url);

    // Alice's first request verifies her token, which also loads the credential script into Redis.
    const alice = 'demo-token-alice';
    const sent = await fetch(`${gw.baseUrl}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'count my round trips' }),
    });
    taskId = ((await sent.json()) as { task_id: string }).task_id;
    let last: { status: string; events: unknown[] } | undefined;
    for (let i = 0; i < 200 && last?.status !== 'succeeded'; i++) {
      last = ((await (await poll(alice)).json()) as { data: typeof last }).data;
      if (last?.status !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(last?.status).toBe('succeeded');
    events = last!.events;
    // The engine's own timers (reaper sweeps, the data-epoch check) would send commands of their
    // own while we count; the HTTP side keeps serving without them, so Redis counts the polls alone.
    await gw.gateway.engine.stop(0);
  });
  afterAll(async () => {
    await admin?.quit();
    await gw?.stop();
    await redis?.stop();
  });

  it('costs one round trip once its credential is verified, two for the first', async () => {
    const [cold, warm] = await pollCosts(FRESH_TOKEN, [1, POLLS]);

    // Cold: one script reading the credential by its hash and the user it names (two HMGETs),
    // then one MULTI/EXEC holding the task record and the log's meta (two HMGETs), its oldest
    // entry and the page (two XRANGEs).
    expect(cold).toEqual({ evalsha: 1, hmget: 4, multi: 1, exec: 1, xrange: 2 });
    expect(roundTrips(cold!, 2 + 4)).toBe(2);
    // Warm: the MULTI/EXEC alone, every time.
    expect(warm).toEqual({ hmget: 2 * POLLS, multi: POLLS, exec: POLLS, xrange: 2 * POLLS });
    expect(roundTrips(warm!, 4 * POLLS) / POLLS).toBe(1);
  });

  it('reads the user on its own for a token stored before credentials named their user record', async () => {
    await gw.gateway.store.put('cred', sha256(LEGACY_TOKEN), { kind: 'token', tenant: 'demo', userId: 'alice', source: 'runtime', createdAt: Date.now() });
    const [cold, warm] = await pollCosts(LEGACY_TOKEN, [1, POLLS]);

    // The same commands as a cold poll with a linked credential, but the script finds no user
    // record to follow and runs one HMGET; the user's is a round trip of its own.
    expect(cold).toEqual({ evalsha: 1, hmget: 4, multi: 1, exec: 1, xrange: 2 });
    expect(roundTrips(cold!, 1 + 4)).toBe(3);
    expect(warm).toEqual({ hmget: 2 * POLLS, multi: POLLS, exec: POLLS, xrange: 2 * POLLS });
  });
});
