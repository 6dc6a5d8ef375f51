import { bearer, createBitAgentTask, STREAM_TOKEN, startGateway, taskStreamPath, type StoreKind } from './gateway-api.js';
import type { Figure } from './figures.js';
import type { ModelServer } from './model-server.js';
import { commandsDuring, connectedClients } from './redis-probe.js';
import { medianed, rotate } from './rotation.js';
import type { ServerChild } from './server-child.js';
import type { SseClients } from './sse-clients.js';
import { floorHeaders, startSseFloor } from './sse-floor.js';

/**
 * Case 2: memory per idle bit-Agent task stream. A separate client process
 * holds the streams; the server's resident set after forced GCs is taken
 * before they open and with all of them open, and the growth is divided by
 * their number. The gateway's tasks are running and idle (the model answers
 * nothing until the bench ends); the floor is a bare node:http server holding
 * as many SSE responses with the same headers and first frames and one
 * shared heartbeat timer. Every run starts a fresh server process.
 *
 * The same run then closes every stream: the heap left above the baseline
 * is the leak check.
 */

const COUNTS = [2_000, 10_000] as const;
/** The most streams one process holds at once: the gateway one socket each, and the client process as many. */
export const MOST_STREAMS = Math.max(...COUNTS);
/** The Redis gateway is measured at the smaller count, with its O(1) checks. */
const REDIS_COUNT = 2_000;
/** Running tasks the streams are spread over, round robin. */
const TASKS = 10;
/**
 * Streams opened and closed before the baseline, so JIT code and first-use
 * caches are in it: the figure is what one more stream costs. Kept small so
 * the baseline is not inflated by heap pages a big warm-up would leave behind.
 */
const WARMUP_STREAMS = 100;
const ROUNDS = 2;
const QUIET_MS = 300;
/** Time for a server to process 10,000 hang-ups on 2 cores, with room to spare. */
const HANG_UP_MS = 1_000;
const TIMEOUT_MS = 120_000;
/** Window for counting Redis commands, long enough to average over the reaper's one-second sweeps. */
const REDIS_WINDOW_MS = 3_000;

interface IdleRun {
  /** Per stream, first open: the figure asked for. */
  rssKiB: number;
  heapKiB: number;
  /** Heap above the baseline once every stream had closed, in total: a leak would leave about count × heapKiB. */
  heapLeftKiB: number;
  /** Gateway on Redis only: what the server saw before the streams opened and with all of them open. */
  redis?: { connectionsBefore: number; connectionsWith: number; commandsPerSecondBefore: number; commandsPerSecondWith: number };
}

/** What a gateway stream looks like, so the floor can send the same. */
interface StreamShape {
  headers: Record<string, string>;
  prefix: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function idleFigures(model: ModelServer, redisUrl: string, clients: SseClients): Promise<Figure[]> {
  const figures: Figure[] = [];
  let started = 0;
  let shape: StreamShape | undefined;
  for (const count of COUNTS) {
    const contenders: Record<string, () => Promise<IdleRun>> = {
      // The gateway comes first: its first run records the shape the floor copies.
      memory: async () => {
        const run = await gatewayRun('memory', count, model, redisUrl, clients, ++started);
        shape ??= run.shape;
        return run;
      },
      floor: () => floorRun(shape!, count, clients),
    };
    if (count === REDIS_COUNT) contenders.redis = () => gatewayRun('redis', count, model, redisUrl, clients, ++started);
    console.error(`[bench] idle streams: ${ROUNDS} rounds of ${Object.keys(contenders).join(', ')} at ${count.toLocaleString('en-US')} streams`);
    const r = await rotate(ROUNDS, contenders);
    const n = count.toLocaleString('en-US');
    const per = (results: IdleRun[], key: 'rssKiB' | 'heapKiB' | 'heapLeftKiB') => medianed(results.map((result) => result[key]));
    const rows = (store: string, results: IdleRun[]): Figure[] => [
      { what: `${n} idle streams, ${store}: RSS per stream (KiB)`, gateway: per(results, 'rssKiB'), floor: per(r.floor!, 'rssKiB'), target: { kind: 'at-most', value: 16, unit: 'KiB' } },
      { what: `${n} idle streams, ${store}: heap per stream (KiB)`, gateway: per(results, 'heapKiB'), floor: per(r.floor!, 'heapKiB') },
      { what: `${n} idle streams, ${store}: heap left after all closed (KiB, total)`, gateway: per(results, 'heapLeftKiB'), floor: per(r.floor!, 'heapLeftKiB') },
    ];
    figures.push(...rows('memory store', r.memory!));
    if (r.redis) {
      const stats = r.redis.map((run) => run.redis!);
      figures.push(
        ...rows('Redis store', r.redis),
        {
          what: `${n} idle streams, Redis store: Redis connections (floor: before they opened)`,
          gateway: medianed(stats.map((s) => s.connectionsWith)),
          floor: medianed(stats.map((s) => s.connectionsBefore)),
          target: { kind: 'same-as-floor' },
        },
        {
          what: `${n} idle streams, Redis store: Redis commands/s (floor: before they opened)`,
          gateway: medianed(stats.map((s) => s.commandsPerSecondWith)),
          floor: medianed(stats.map((s) => s.commandsPerSecondBefore)),
          // Polling by each stream would add hundreds a second; the reaper's sweeps move the count by a few.
          target: { kind: 'at-most-above-floor', value: 1, unit: '/s' },
        },
      );
    }
  }
  return figures;
}

async function gatewayRun(store: StoreKind, count: number, model: ModelServer, redisUrl: string, clients: SseClients, run: number): Promise<IdleRun & { shape: StreamShape }> {
  const gateway = await startGateway(store, redisUrl, model.url);
  try {
    const tasks: string[] = [];
    for (let i = 0; i < TASKS; i++) {
      const plan = `idle-${run}-${i}`;
      const asked = model.plan(plan, { kind: 'stall' });
      tasks.push(await createBitAgentTask(gateway.port, `plan:${plan}`));
      await asked;
    }
    const paths = (n: number) => Array.from({ length: n }, (_, i) => taskStreamPath(tasks[i % TASKS]!));
    return await measure(gateway, clients, paths, bearer(STREAM_TOKEN), count, store === 'redis' ? redisUrl : undefined);
  } finally {
    await clients.closeAll();
    await gateway.stop();
  }
}

async function floorRun(shape: StreamShape, count: number, clients: SseClients): Promise<IdleRun> {
  const floor = await startSseFloor(shape);
  try {
    return await measure(floor, clients, (n) => Array<string>(n).fill('/idle'), {}, count, undefined);
  } finally {
    await clients.closeAll();
    await floor.stop();
  }
}

/** Warm-up, baseline, open `count` streams, measure; close them all and measure again (the leak check). */
async function measure(
  server: ServerChild,
  clients: SseClients,
  paths: (n: number) => string[],
  headers: Record<string, string>,
  count: number,
  redisUrl: string | undefined,
): Promise<IdleRun & { shape: StreamShape }> {
  const warmHeaders = await clients.open(server.port, paths(WARMUP_STREAMS), headers);
  await clients.settled(QUIET_MS, TIMEOUT_MS);
  const shape = { headers: floorHeaders(warmHeaders), prefix: await clients.sample() };
  await hangUp(clients);
  const before = await server.measure();
  const redisBefore = redisUrl ? await redisLoad(redisUrl) : undefined;

  await clients.open(server.port, paths(count), headers);
  const { minFrames } = await clients.settled(QUIET_MS, TIMEOUT_MS);
  if (minFrames !== shape.prefix.length) throw new Error(`${count} streams got ${minFrames} frames each, the warm-up streams ${shape.prefix.length}`);
  const loaded = await server.measure();
  const redisWith = redisUrl ? await redisLoad(redisUrl) : undefined;
  await hangUp(clients);
  const closed = await server.measure();

  const perStream = (bytes: number) => bytes / 1024 / count;
  const run: IdleRun & { shape: StreamShape } = {
    rssKiB: perStream(loaded.rss - before.rss),
    heapKiB: perStream(loaded.heapUsed - before.heapUsed),
    heapLeftKiB: (closed.heapUsed - before.heapUsed) / 1024,
    shape,
  };
  if (redisBefore && redisWith) {
    run.redis = {
      connectionsBefore: redisBefore.connections,
      connectionsWith: redisWith.connections,
      commandsPerSecondBefore: redisBefore.commandsPerSecond,
      commandsPerSecondWith: redisWith.commandsPerSecond,
    };
  }
  return run;
}

/** Closes every held stream and gives the server time to see each hang-up before it is measured. */
async function hangUp(clients: SseClients): Promise<void> {
  await clients.closeAll();
  await sleep(HANG_UP_MS);
}

async function redisLoad(url: string): Promise<{ connections: number; commandsPerSecond: number }> {
  return { connections: await connectedClients(url), commandsPerSecond: (await commandsDuring(url, REDIS_WINDOW_MS)) / (REDIS_WINDOW_MS / 1000) };
}
