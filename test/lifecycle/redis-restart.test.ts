import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killGatewayProcesses, startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import type { RawConfig } from '../support/gateway.js';
import { chunk, startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/**
 * Redis restarted under two real gateway processes, which keep running:
 * restarted empty, the bootstrap (tenants, users, tokens, API keys) is
 * written again on its own; restarted from its append-only file while a task
 * streams, requests meanwhile get a 503 in their API's shape and nothing a
 * client was sent is missing afterwards.
 */
const ALICE = { authorization: 'Bearer demo-token-alice' };
/** How long an instance may take to serve again once Redis answers: reconnect backoff plus one epoch check plus slack. */
const RECOVERY_BOUND_MS = 8_000;
const REQUEST_TIMEOUT_MS = 5_000;
const OUTAGE_MS = 2_000;

interface Reply {
  status: number;
  body: unknown;
}

/** One request, bounded: a request that hangs fails the test instead of stalling it. */
async function call(on: GatewayProcess, path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(`${on.base}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the assertion message.
  }
  return { status: res.status, body };
}

const files = (on: GatewayProcess) => call(on, '/api/v1/files', { headers: ALICE });
const userToken = (on: GatewayProcess) =>
  call(on, '/api/v3/openapi/auth/user-token', {
    method: 'POST',
    headers: { authorization: 'demo-api-key', 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: 'u1', tenant_code: 'demo' }),
  });
const ready = async (on: GatewayProcess) => (await call(on, '/readyz')).status;

async function createTask(on: GatewayProcess): Promise<string> {
  const res = await call(on, '/api/v3/openapi/task/create', {
    method: 'POST',
    headers: { ...ALICE, 'content-type': 'application/json' },
    body: JSON.stringify({ ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question: 'a long job' } }),
  });
  expect(res.status).toBe(200);
  return (res.body as { data: string }).data;
}

type PolledEvent = { idx: number; type: string };
async function poll(on: GatewayProcess, taskId: string): Promise<{ status: string; events: PolledEvent[] }> {
  const res = await call(on, `/api/v1/tasks/${taskId}?from=0`, { headers: ALICE });
  expect(res.status).toBe(200);
  return (res.body as { data: { status: string; events: PolledEvent[] } }).data;
}

/** Polls `check` until it holds; returns the time it took, in ms. */
async function within(boundMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not within ${boundMs} ms`);
}

/** Both instances accept the configured token and API key, and say so. */
const serving = async (gateways: GatewayProcess[]) => {
  for (const on of gateways) {
    if ((await files(on)).status !== 200 || (await userToken(on)).status !== 200 || (await ready(on)) !== 200) return false;
  }
  return true;
};

/** The SSE frames of a bit-Agent task stream, as `id` → whole frame, read in the background. */
function readStream(on: GatewayProcess, taskId: string) {
  const frames = new Map<string, string>();
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(`${on.base}/api/v3/openapi/task/stream/${taskId}`, { headers: ALICE, signal: controller.signal });
    const decoder = new TextDecoder();
    let text = '';
    for await (const piece of res.body!) {
      text += decoder.decode(piece as Uint8Array, { stream: true });
      let end: number;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const frame = text.slice(0, end);
        text = text.slice(end + 2);
        const id = /^id: (.+)$/m.exec(frame)?.[1];
        if (id !== undefined) frames.set(id, frame);
      }
    }
  })().catch(() => undefined);
  return { frames, done, stop: () => controller.abort() };
}

describe('Redis restarted empty under running gateways', () => {
  let redis: RedisServer;
  let gateways: GatewayProcess[];
  beforeAll(async () => {
    redis = await startRedis();
    const configure = (raw: RawConfig) => {
      raw.store = { ...raw.store, kind: 'redis', url: redis.url };
    };
    gateways = await Promise.all([startGatewayProcess({ configure }), startGatewayProcess({ configure })]);
  });
  afterAll(async () => {
    killGatewayProcesses();
    await redis?.stop();
  });

  it('writes the bootstrap again on its own: configured tokens and API keys work again on every instance within seconds', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    expect(await serving([a, b])).toBe(true);
    const signedBefore = ((await userToken(a)).body as { data: { access_token: string } }).data.access_token;
    const taskId = await createTask(a);
    await within(RECOVERY_BOUND_MS, async () => (await poll(b, taskId)).status !== 'running');

    await redis.kill();
    await redis.restart();
    // Readiness must never claim ready while the configured token is refused.
    const seen: Array<{ ready: number; files: number }> = [];
    const took = await within(RECOVERY_BOUND_MS, async () => {
      for (const on of [a, b]) seen.push({ ready: await ready(on), files: (await files(on)).status });
      return serving([a, b]);
    });
    const notReady = seen.filter((s) => s.ready !== 200).length;
    console.log(`empty Redis: both instances served again ${took} ms after it answered; ${notReady} of ${seen.length} probes meanwhile not ready`);
    expect(seen.filter((s) => s.ready === 200 && s.files !== 200)).toEqual([]);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();

    // A user token signed with the lost generated key no longer verifies; a new one does.
    const llmNames = (token: string) => call(a, '/api/v3/openapi/common/llm_names', { headers: { authorization: `Bearer ${token}` } });
    expect((await llmNames(signedBefore)).status).toBe(401);
    const signedAfter = ((await userToken(b)).body as { data: { access_token: string } }).data.access_token;
    expect((await llmNames(signedAfter)).status).toBe(200);

    // A task whose record and log went with the data: a clear not-found, no hang.
    const polled = await call(b, `/api/v1/tasks/${taskId}?from=0`, { headers: ALICE });
    expect(polled).toMatchObject({ status: 404, body: { success: false } });
    const followed = await call(a, `/api/v3/openapi/task/stream/${taskId}`, { headers: ALICE });
    expect(followed.status).toBe(404);
    console.log(`vanished task: poll ${JSON.stringify(polled.body)}, stream ${followed.status} ${JSON.stringify(followed.body)}`);
  });
});

describe('Redis restarted from its append-only file while a task streams', () => {
  let redis: RedisServer;
  let model: OpenAIServer;
  let gateways: GatewayProcess[];
  beforeAll(async () => {
    redis = await startRedis({ persistence: 'aof-always' });
    model = await startOpenAIServer({ fallback: { chunks: Array.from({ length: 100 }, (_, i) => chunk.text(`piece ${i} `)), delayMs: 50 } });
    const configure = (raw: RawConfig) => {
      raw.store = { ...raw.store, kind: 'redis', url: redis.url, command_timeout_ms: 1_000 };
      raw.models.push({ name: 'mock', kind: 'openai', base_url: model.url, max_retries: 0 });
      raw.bootstrap.agents[0].model = 'mock';
    };
    gateways = await Promise.all([startGatewayProcess({ configure }), startGatewayProcess({ configure })]);
  });
  afterAll(async () => {
    killGatewayProcesses();
    await model?.close();
    await redis?.stop();
  });

  it('answers 503 in each API’s shape during the outage, recovers on its own, and keeps every event a client was sent', async () => {
    const [a, b] = gateways as [GatewayProcess, GatewayProcess];
    const taskId = await createTask(a);
    const stream = readStream(b, taskId);
    await within(RECOVERY_BOUND_MS, async () => (await poll(a, taskId)).events.length >= 5 && stream.frames.size >= 5);
    const polledBefore = (await poll(b, taskId)).events;
    const streamedBefore = new Map(stream.frames);

    await redis.kill();
    // A poll needs the store (the task and its log); a file listing, with the caller's token verified a moment
    // ago and kept, is served from disk and need not fail.
    const during = {
      v1: await call(a, `/api/v1/tasks/${taskId}?from=0`, { headers: ALICE }),
      bit: await userToken(b),
      ready: await ready(a),
      live: (await call(b, '/healthz')).status,
    };
    // Long enough for the reconnect backoff to grow, as in a real restart.
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await redis.restart();
    const took = await within(RECOVERY_BOUND_MS, () => serving([a, b]));
    console.log(`AOF Redis down ${OUTAGE_MS} ms: both instances served again ${took} ms after it answered`);
    stream.stop();

    expect(during.v1).toEqual({ status: 503, body: { success: false, error: '服务暂不可用' } });
    expect(during.bit).toMatchObject({ status: 503, body: { code: '503', data: null } });
    expect(during.ready).toBe(503);
    expect(during.live).toBe(200);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();

    // Everything polled or streamed before the kill is in the log after the restart, unchanged.
    const polledAfter = new Map((await poll(a, taskId)).events.map((e) => [e.idx, JSON.stringify(e)]));
    for (const event of polledBefore) expect(polledAfter.get(event.idx)).toBe(JSON.stringify(event));
    const replay = readStream(a, taskId);
    await within(RECOVERY_BOUND_MS, async () => [...streamedBefore.keys()].every((id) => replay.frames.has(id)));
    replay.stop();
    for (const [id, frame] of streamedBefore) expect(replay.frames.get(id)).toBe(frame);
    const { status } = await poll(b, taskId);
    console.log(`kept ${polledBefore.length} polled and ${streamedBefore.size} streamed events across the restart (task now ${status})`);
    await Promise.all([stream.done, replay.done]);
  });
});
