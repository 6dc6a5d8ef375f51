import { bearer, createBitAgentTask, STREAM_TOKEN, startGateway, taskStreamPath, type StoreKind } from './gateway-api.js';
import type { Figure } from './figures.js';
import type { ModelServer } from './model-server.js';
import { summarize } from './percentiles.js';
import { medianed, rotate } from './rotation.js';
import type { ServerChild } from './server-child.js';
import type { SseClients } from './sse-clients.js';
import { floorHeaders, startSseFloor } from './sse-floor.js';
import type { SseFloorRequest } from './sse-floor-process.js';

/**
 * Case 3: one bit-Agent task stream with 1,000 subscribers; the model sends
 * one delta every INTERVAL_MS, and each delta is one event to all of them.
 * For each frame, the spread is the time between the first and the last
 * client receiving it. The figure is the p99 of that over the deltas' frames
 * (p50 beside it); the frames after the last delta (the task's end and
 * `close`) are reported on their own, since ending a stream is other work
 * than writing to it. The floor is a bare server writing the same frames to
 * as many clients at the same pace. Both stores; the clients live in their
 * own process.
 */

const SUBSCRIBERS = 1_000;
const EVENTS = 150;
/**
 * 25 deltas a second, a brisk model's pace. On 2 cores, writing one frame to
 * 1,000 loopback sockets alone takes the bare floor 15–20 ms, so a shorter
 * interval would measure a backlog rather than the spread of one event.
 */
const INTERVAL_MS = 40;
const ROUNDS = 3;
/** Streams count as caught up once every one has had the same frames for this long. */
const QUIET_MS = 300;
const TIMEOUT_MS = 60_000;

/** What the gateway sent: the floor sends it again. */
interface StreamShape {
  headers: Record<string, string>;
  /** Frames each client got on connecting, before the first delta. */
  prefix: string[];
  /** Frames from the first delta on, to the `close` frame. */
  paced: string[];
}

/** One run's spreads, ms. */
interface FanoutRun {
  p50: number;
  p99: number;
  /** The widest spread of the frames after the last delta. */
  end: number;
}

/** Frames a task's end may add after its last delta (the last step's end, `close`), with room to spare. */
const MOST_END_FRAMES = 4;

/**
 * The first EVENTS frames are the deltas' (a bit-Agent stream sends one
 * `message` frame per delta); what follows is the stream's end. A stream
 * with too few or too many frames for that fails the run rather than
 * mixing the two.
 */
function summary(spreads: number[]): FanoutRun {
  const end = spreads.length - EVENTS;
  if (end < 1 || end > MOST_END_FRAMES) throw new Error(`${EVENTS} model deltas and the task's end made ${spreads.length} frames: not one frame per delta`);
  const { p50, p99 } = summarize(Float64Array.from(spreads.slice(0, EVENTS)), EVENTS);
  return { p50, p99, end: Math.max(...spreads.slice(EVENTS)) };
}

export async function fanoutFigures(model: ModelServer, redisUrl: string, clients: SseClients): Promise<Figure[]> {
  const gateways: Partial<Record<StoreKind, ServerChild>> = {};
  let floor: ServerChild | undefined;
  let runs = 0;
  try {
    for (const store of ['memory', 'redis'] as const) gateways[store] = await startGateway(store, redisUrl, model.url);
    const memory = gateways.memory!;
    const redis = gateways.redis!;
    const onGateway = (gateway: ServerChild) => () => gatewayRun(gateway, model, clients, `fanout-${++runs}`);

    // Warm-up runs (discarded), which also record the frames the floor sends.
    const { shape } = await onGateway(memory)();
    await onGateway(redis)();
    floor = await startSseFloor({ headers: shape.headers, prefix: shape.prefix });
    const onFloor = () => floorRun(floor!, clients, shape);
    await onFloor();

    console.error(`[bench] fan-out: ${ROUNDS} rounds of floor, memory gateway, Redis gateway; ${SUBSCRIBERS} clients × ${EVENTS} events`);
    const r = await rotate(ROUNDS, { floor: onFloor, memory: onGateway(memory), redis: onGateway(redis) });
    const of = (results: FanoutRun[], key: keyof FanoutRun) => medianed(results.map((result) => result[key]));
    const n = SUBSCRIBERS.toLocaleString('en-US');
    return (['memory', 'redis'] as const).flatMap((store): Figure[] => {
      const name = `fan-out to ${n} streams, ${store === 'memory' ? 'memory' : 'Redis'} store`;
      return [
        { what: `${name}: p99 first-to-last client per delta (ms)`, gateway: of(r[store], 'p99'), floor: of(r.floor, 'p99'), target: { kind: 'ratio-at-most', value: 1.5 } },
        { what: `${name}: p50 first-to-last client per delta (ms)`, gateway: of(r[store], 'p50'), floor: of(r.floor, 'p50') },
        { what: `${name}: first-to-last client, task end and close (ms)`, gateway: of(r[store], 'end'), floor: of(r.floor, 'end') },
      ];
    });
  } finally {
    await clients.closeAll().catch(() => undefined);
    for (const gateway of Object.values(gateways)) await gateway.stop();
    await floor?.stop();
  }
}

/** One task on `gateway`: clients connect while the model holds its first delta, then the deltas flow. */
async function gatewayRun(gateway: ServerChild, model: ModelServer, clients: SseClients, plan: string): Promise<FanoutRun & { shape: StreamShape }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const pieces = Array.from({ length: EVENTS }, (_, i) => `delta ${i} `);
  const asked = model.plan(plan, { kind: 'text', pieces, intervalMs: INTERVAL_MS, gate });
  const taskId = await createBitAgentTask(gateway.port, `plan:${plan}`);
  await asked;
  const headers = await clients.open(gateway.port, Array<string>(SUBSCRIBERS).fill(taskStreamPath(taskId)), bearer(STREAM_TOKEN), true);
  const { maxFrames: prefix } = await clients.settled(QUIET_MS, TIMEOUT_MS);
  release();
  const finished = await clients.finish(prefix, TIMEOUT_MS);
  await clients.closeAll();
  return {
    ...summary(finished.spreads),
    shape: { headers: floorHeaders(headers), prefix: finished.frames.slice(0, prefix), paced: finished.frames.slice(prefix) },
  };
}

async function floorRun(floor: ServerChild, clients: SseClients, shape: StreamShape): Promise<FanoutRun> {
  await clients.open(floor.port, Array<string>(SUBSCRIBERS).fill('/fanout'), {}, true);
  const { maxFrames: prefix } = await clients.settled(QUIET_MS, TIMEOUT_MS);
  const pace: SseFloorRequest = { cmd: 'pace', frames: shape.paced, intervalMs: INTERVAL_MS };
  const [, finished] = await Promise.all([floor.request(pace, 'pace the frames', TIMEOUT_MS), clients.finish(prefix, TIMEOUT_MS)]);
  await clients.closeAll();
  return summary(finished.spreads);
}
