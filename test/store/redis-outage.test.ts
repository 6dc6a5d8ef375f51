import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { StoreUnavailableError } from '../../src/store/store.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * A Redis that stops answering (paused with SIGSTOP: the connection stays
 * open and nothing comes back, like a stuck host; or killed) must fail store
 * calls within the command timeout, so clients get a 503 in their API's shape
 * instead of a request that hangs for the whole outage.
 */
const TIMEOUT_MS = 500;
/** What a client may wait for its 503: a request makes a few store calls in a row, each bounded by TIMEOUT_MS. */
const CLIENT_BOUND_MS = 3_000;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** Runs `during` with the server paused, resuming it whatever happens. */
async function whilePaused<T>(server: RedisServer, during: () => Promise<T>): Promise<T> {
  process.kill(server.pid, 'SIGSTOP');
  try {
    return await during();
  } finally {
    process.kill(server.pid, 'SIGCONT');
  }
}

/** The outcome of `call` and how long it took, in ms. */
async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; result?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const result = await call();
    return { ms: performance.now() - started, result };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('RedisStore when Redis does not answer', () => {
  it('rejects a call with StoreUnavailableError within the command timeout while paused, and works after resuming', async () => {
    const store = new RedisStore({ url: redis.url, keyPrefix: 'outage-store:', commandTimeoutMs: TIMEOUT_MS });
    try {
      await store.put('things', 'a', { n: 1 });
      const outcome = await whilePaused(redis, () => timed(() => store.get('things', 'a')));
      expect(outcome.error).toBeInstanceOf(StoreUnavailableError);
      expect(outcome.ms).toBeLessThan(TIMEOUT_MS + 500);
      expect((await store.get('things', 'a'))?.value).toEqual({ n: 1 });
    } finally {
      await store.close();
    }
  });

  it('fails every call of the store contract the same way, none hanging', async () => {
    const store = new RedisStore({ url: redis.url, keyPrefix: 'outage-all:', commandTimeoutMs: TIMEOUT_MS });
    try {
      await store.createLog('log');
      const calls: Record<string, () => Promise<unknown>> = {
        get: () => store.get('c', 'a'),
        getLinked: () => store.getLinked('c', 'a', { collection: 'c', field: 'f' }),
        put: () => store.put('c', 'a', 1),
        delete: () => store.delete('c', 'a'),
        expire: () => store.expire('c', 'a', 10),
        indexAdd: () => store.indexAdd('l', 'm', 1),
        indexRemove: () => store.indexRemove('l', 'm'),
        indexRange: () => store.indexRange('l', { offset: 0, limit: 10 }),
        indexUpTo: () => store.indexUpTo('l', 1, 10),
        createLog: () => store.createLog('other'),
        logInfo: () => store.logInfo('log'),
        append: () => store.append('log', { type: 'error', data: { message: 'x' } }, 100),
        read: () => store.read('log', 0, 10),
        getWithLog: () => store.getWithLog('c', 'log', 'log', 0, 10),
        expireLog: () => store.expireLog('log', 10),
        acquire: () => store.acquire('lease', 'me', 1000),
        renew: () => store.renew('lease', 'me', 1000),
        release: () => store.release('lease', 'me'),
        holder: () => store.holder('lease'),
        publish: () => store.publish('signal', 'hi'),
      };
      const outcomes = await whilePaused(redis, () =>
        Promise.all(Object.entries(calls).map(async ([name, call]) => ({ name, ...(await timed(call)) }))),
      );
      for (const outcome of outcomes) {
        expect({ name: outcome.name, unavailable: outcome.error instanceof StoreUnavailableError }).toEqual({ name: outcome.name, unavailable: true });
        expect(outcome.ms).toBeLessThan(TIMEOUT_MS + 1000);
      }
    } finally {
      await store.close();
    }
  });

  it('rejects within the command timeout when the server is gone (the call waits in the offline queue)', async () => {
    const doomed = await startRedis();
    const store = new RedisStore({ url: doomed.url, keyPrefix: 'outage-gone:', commandTimeoutMs: TIMEOUT_MS });
    try {
      await store.ping();
      await doomed.stop();
      const outcome = await timed(() => store.holder('lease'));
      expect(outcome.error).toBeInstanceOf(StoreUnavailableError);
      expect(outcome.ms).toBeLessThan(TIMEOUT_MS + 500);
    } finally {
      await store.close();
      await doomed.stop();
    }
  });
});

describe('the gateway on a paused Redis', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      store: 'redis',
      redisUrl: redis.url,
      configure: (raw) => {
        raw.store.command_timeout_ms = TIMEOUT_MS;
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const agentsV1 = () =>
    fetch(`${gw.baseUrl}/api/v1/conversations`, {
      method: 'POST',
      headers: { authorization: 'Bearer demo-token-alice', 'content-type': 'application/json' },
      body: '{}',
    });
  const bitAgent = () =>
    fetch(`${gw.baseUrl}/api/v3/openapi/auth/user-token`, {
      method: 'POST',
      headers: { authorization: 'demo-api-key', 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'outage-user', tenant_code: 'demo' }),
    });
  const reply = async (call: () => Promise<Response>) => {
    const outcome = await timed(async () => {
      const res = await call();
      return { status: res.status, body: (await res.json()) as unknown };
    });
    if (outcome.error) throw outcome.error;
    return { ms: outcome.ms, ...outcome.result! };
  };

  it('answers 503 in each dialect’s shape within a few seconds, stays up, and serves again after resuming', async () => {
    expect((await reply(agentsV1)).status).toBe(200);
    const userToken = ((await reply(bitAgent)).body as { data: { access_token: string } }).data.access_token;
    const withUserToken = () => fetch(`${gw.baseUrl}/api/v3/openapi/common/llm_names`, { headers: { authorization: `Bearer ${userToken}` } });

    const { v1, bit, jwt, live, ready } = await whilePaused(redis, async () => {
      const v1 = await reply(agentsV1);
      const bit = await reply(bitAgent);
      // Checking a user token reads the store too (does the user still exist?): a 503, never a 401.
      const jwt = await reply(withUserToken);
      // Outlast a reaper interval (engine.lease_ms) so background work meets the outage too.
      await new Promise((resolve) => setTimeout(resolve, gw.config.engine.lease_ms));
      const live = await fetch(`${gw.baseUrl}/healthz`);
      const ready = await fetch(`${gw.baseUrl}/readyz`);
      return { v1, bit, jwt, live: live.status, ready: ready.status };
    });
    console.log(`time to 503 while paused: agents-v1 ${v1.ms.toFixed(0)} ms, bit-agent ${bit.ms.toFixed(0)} ms`);

    expect(v1).toMatchObject({ status: 503, body: { success: false, error: '服务暂不可用' } });
    expect(bit).toMatchObject({ status: 503, body: { code: '503', message: 'store unavailable, try again shortly', data: null } });
    expect(jwt).toMatchObject({ status: 503, body: { code: '503', data: null } });
    expect(v1.ms).toBeLessThan(CLIENT_BOUND_MS);
    expect(bit.ms).toBeLessThan(CLIENT_BOUND_MS);
    // The process is still up (liveness) and honest about the store (readiness).
    expect(live).toBe(200);
    expect(ready).toBe(503);

    const v1After = await reply(agentsV1);
    expect(v1After.status).toBe(200);
    expect(v1After.body).toMatchObject({ success: true });
    const bitAfter = await reply(bitAgent);
    expect(bitAfter.status).toBe(200);
    expect((await fetch(`${gw.baseUrl}/readyz`)).status).toBe(200);
  });
});
