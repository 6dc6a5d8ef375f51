import { bearer, POLL_TOKEN, POLL_USER, pollPath, runV1Task, startGateway, type StoreKind } from './gateway-api.js';
import type { Figure } from './figures.js';
import type { ModelServer } from './model-server.js';
import { pollerAccessToken } from './oauth-token.js';
import type { PollFloorRequest } from './poll-floor-process.js';
import { requestsPerSecond } from './poll-load.js';
import { medianed, rotate } from './rotation.js';
import { ServerChild } from './server-child.js';

/**
 * Case 1: the Agents API v1 poll (`GET /api/v1/tasks/<id>?from=0`, Bearer
 * user token) of a finished task, under autocannon, on both stores, against
 * a bare Koa app doing the least the same answer needs (poll-floor-process.ts);
 * and the same poll with an access token of the gateway's own authorization
 * server instead of a static token (looked up in the store on each request).
 */

/** Model deltas of the polled task: with the task's own events, a log of about 30 events. */
const PIECES = 25;
const WARMUP_SECONDS = 1;
const RUN_SECONDS = 3;
const ROUNDS = 3;

export async function pollFigures(model: ModelServer, redisUrl: string): Promise<Figure[]> {
  const floor = await ServerChild.start('poll floor', 'poll-floor-process.js');
  const gateways: ServerChild[] = [];
  try {
    const targets: Record<string, { port: number; taskId: string; oauthToken: string }> = {};
    for (const store of ['memory', 'redis'] as const satisfies StoreKind[]) {
      const gateway = await startGateway(store, redisUrl, model.url);
      gateways.push(gateway);
      const plan = `poll-${store}`;
      void model.plan(plan, { kind: 'text', pieces: Array.from({ length: PIECES }, (_, i) => `word${i} `), intervalMs: 0 });
      const { taskId, body } = await runV1Task(gateway.port, `plan:${plan}`);
      if (body.data?.status !== 'succeeded') throw new Error(`the polled task ended ${body.data?.status}, not succeeded`);
      console.error(`[bench] poll: a finished task of ${body.data.events?.length ?? 0} v1 events on the ${store} gateway`);
      targets[store] = { port: gateway.port, taskId, oauthToken: await pollerAccessToken(gateway.port) };
      // The floor answers exactly what the memory gateway answered.
      if (store === 'memory') await floor.request({ cmd: 'load', token: POLL_TOKEN, user: POLL_USER, taskId, body } satisfies PollFloorRequest, 'load');
    }
    const memory = targets.memory!;
    const redis = targets.redis!;
    const load = (port: number, taskId: string, token: string, seconds: number) => () =>
      requestsPerSecond(`http://127.0.0.1:${port}${pollPath(taskId)}`, bearer(token), seconds);
    const contenders = (seconds: number) => ({
      floor: load(floor.port, memory.taskId, POLL_TOKEN, seconds),
      memory: load(memory.port, memory.taskId, POLL_TOKEN, seconds),
      redis: load(redis.port, redis.taskId, POLL_TOKEN, seconds),
      memoryOAuth: load(memory.port, memory.taskId, memory.oauthToken, seconds),
      redisOAuth: load(redis.port, redis.taskId, redis.oauthToken, seconds),
    });

    // Warm-up (discarded): JIT, connection pools and (Redis) scripts.
    await rotate(1, contenders(WARMUP_SECONDS));
    console.error(`[bench] poll: ${ROUNDS} rounds of floor, memory and Redis gateways with a static and an OAuth token, ${RUN_SECONDS} s each`);
    const r = await rotate(ROUNDS, contenders(RUN_SECONDS));
    return [
      { what: 'poll of a finished task, memory store (req/s)', gateway: medianed(r.memory), floor: medianed(r.floor), target: { kind: 'ratio-at-least', value: 0.8 } },
      { what: 'poll of a finished task, Redis store (req/s)', gateway: medianed(r.redis), floor: medianed(r.floor) },
      { what: 'the same poll with an OAuth access token, memory store (req/s)', gateway: medianed(r.memoryOAuth), floor: medianed(r.floor) },
      { what: 'the same poll with an OAuth access token, Redis store (req/s)', gateway: medianed(r.redisOAuth), floor: medianed(r.floor) },
    ];
  } finally {
    for (const gateway of gateways) await gateway.stop();
    await floor.stop();
  }
}
