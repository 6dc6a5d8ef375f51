import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const POLLS = 20;
/** A token of alice's that no request has shown yet: the first poll with it finds the credential cache cold. */
const FRESH_TOKEN = 'poll-round-trips-token';

/** Calls per command since the server started, from `INFO commandstats`. */
async function commandCalls(admin: Redis): Promise<Map<string, number>> {
  const stats = (await admin.info('commandstats')) as string;
  return new Map([...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, name, calls]) => [name!, Number(calls)]));
}

/** What the server ran between two readings, the `INFO` that read them left out. */
function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, calls] of after) {
    const more = calls - (before.get(name) ?? 0);
    if (more > 0 && name !== 'info') out[name] = more;
  }
  return out;
}

/**
 * Redis round trips of what a delta holds: one per MULTI…EXEC block, one per
 * other top-level command. `inside` is how many of the counted commands ran
 * inside the blocks (Redis counts those one by one, and `multi`/`exec` once
 * per block).
 */
function roundTrips(counted: Record<string, number>, inside: number): number {
  const total = Object.values(counted).reduce((sum, calls) => sum + calls, 0);
  const blocks = counted.exec ?? 0;
  return blocks + (total - inside - 2 * blocks);
}

/**
 * What an authenticated Agents v1 poll of a finished task costs in Redis,
 * counted by the server itself: the credential is checked once and then kept
 * by the gateway, and the task record, its log's bounds and the page of
 * events come back in one MULTI/EXEC.
 */
describe('an Agents v1 poll on Redis', () => {
  let redis: RedisServer;
  let gw: TestGateway;
  let admin: Redis;
  const poll = (taskId: string, token: string) =>
    fetch(`${gw.baseUrl}/api/v1/tasks/${taskId}?from=0`, { headers: { authorization: `Bearer ${token}` } });

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
  });
  afterAll(async () => {
    await admin?.quit();
    await gw?.stop();
    await redis?.stop();
  });

  it('costs one round trip once its credential is verified, three for the first', async () => {
    const alice = 'demo-token-alice';
    const sent = await fetch(`${gw.baseUrl}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'count my round trips' }),
    });
    const taskId = ((await sent.json()) as { task_id: string }).task_id;
    let last: { status: string; events: unknown[] } | undefined;
    for (let i = 0; i < 200 && last?.status !== 'succeeded'; i++) {
      last = ((await (await poll(taskId, alice)).json()) as { data: typeof last }).data;
      if (last?.status !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(last?.status).toBe('succeeded');
    // The engine's own timers (reaper sweeps, the data-epoch check) would send commands of their
    // own while we count; the HTTP side keeps serving without them, so Redis counts the polls alone.
    await gw.gateway.engine.stop(0);

    const before = await commandCalls(admin);
    const first = await poll(taskId, FRESH_TOKEN);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ success: true, data: { task_id: taskId, status: 'succeeded', events: last!.events } });
    const afterFirst = await commandCalls(admin);
    for (let i = 0; i < POLLS; i++) {
      const reply = await poll(taskId, FRESH_TOKEN);
      expect(reply.status).toBe(200);
      expect(((await reply.json()) as { data: { events: unknown[] } }).data.events).toEqual(last!.events);
    }
    const afterPolls = await commandCalls(admin);

    // Cold: the credential by its hash and its user (two HMGETs), then one MULTI/EXEC holding the
    // task record and the log's meta (two HMGETs), its oldest entry and the page (two XRANGEs).
    const cold = delta(before, afterFirst);
    expect(cold).toEqual({ hmget: 4, multi: 1, exec: 1, xrange: 2 });
    expect(roundTrips(cold, 4)).toBe(3);
    // Warm: the MULTI/EXEC alone, every time.
    const warm = delta(afterFirst, afterPolls);
    expect(warm).toEqual({ hmget: 2 * POLLS, multi: POLLS, exec: POLLS, xrange: 2 * POLLS });
    expect(roundTrips(warm, 4 * POLLS) / POLLS).toBe(1);
  });
});
