import { bearer, POLL_TOKEN, POLL_USER, pollPath, runV1Task, startGateway, type StoreKind } from './gateway-api.js';
import type { Figure } from './figures.js';
import type { ModelServer } from './model-server.js';
import type { PollFloorRequest } from './poll-floor-process.js';
import { requestsPerSecond } from './poll-load.js';
import { medianed, rotate } from './rotation.js';
import { ServerChild } from './server-child.js';

/**
 * Case 1: the Agents API v1 poll (`GET /api/v1/tasks/<id>?from=0`, Bearer
 * user token) of a finished task, under autocannon, on both stores, against
 * a bare Koa app doing the least the same answer needs (poll-floor-process.ts).
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
    const targets: Record<string, { port: number; taskId: string }> = {};
    for (const store of ['memory', 'redis'] as const satisfies StoreKind[]) {
      const gateway = await startGateway(store, redisUrl, model.url);
      gateways.push(gateway);
      const plan = `poll-${store}`;
      void model.plan(plan, { kind: 'text', pieces: Array.from({ length: PIECES }, (_, i) => `word${i} `), intervalMs: 0 });
      const { taskId, body } = await runV1Task(gateway.port, `plan:${plan}`);
      if (body.data?.status !== 'succeeded') throw new Error(`the polled task ended ${body.data?.status}, not succeeded`);
      console.error(`[bench] poll: a finished task of ${body.data.events?.length ?? 0} v1 events on the ${store} gateway`);
      targets[store] = { port: gateway.port, taskId };
      // The floor answers exactly what the memory gateway answered.
      if (store === 'memory') await floor.request({ cmd: 'load', token: POLL_TOKEN, user: POLL_USER, taskId, body } satisfies PollFloorRequest, 'load');
    }
    const memory = targets.memory!;
    const redis = targets.redis!;
    const load = (port: number, taskId: string, seconds: number) => () =>
      requestsPerSecond(`http://127.0.0.1:${port}${pollPath(taskId)}`, bearer(POLL_TOKEN), seconds);
    const floorLoad = (seconds: number) => load(floor.port, memory.taskId, seconds);

    // Warm-up (discarded): JIT, connection pools and (Redis) scripts.
    for (const run of [floorLoad(WARMUP_SECONDS), load(memory.port, memory.taskId, WARMUP_SECONDS), load(redis.port, redis.taskId, WARMUP_SECONDS)]) await run();
    console.error(`[bench] poll: ${ROUNDS} rounds of floor, memory gateway, Redis gateway, ${RUN_SECONDS} s each`);
    const r = await rotate(ROUNDS, {
      floor: floorLoad(RUN_SECONDS),
      memory: load(memory.port, memory.taskId, RUN_SECONDS),
      redis: load(redis.port, redis.taskId, RUN_SECONDS),
    });
    return [
      { what: 'poll of a finished task, memory store (req/s)', gateway: medianed(r.memory), floor: medianed(r.floor), target: { kind: 'ratio-at-least', value: 0.8 } },
      { what: 'poll of a finished task, Redis store (req/s)', gateway: medianed(r.redis), floor: medianed(r.floor) },
    ];
  } finally {
    for (const gateway of gateways) await gateway.stop();
    await floor.stop();
  }
}
