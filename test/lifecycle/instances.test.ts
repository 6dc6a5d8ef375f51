import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killGatewayProcesses, startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import type { RawConfig } from '../support/gateway.js';
import { chunk, startOpenAIServer, type OpenAIServer, type StreamReply } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const LEASE_MS = 1_500;
const ALICE = { authorization: 'Bearer demo-token-alice' };

/** A model answer that streams for `seconds`. */
const slowAnswer = (seconds: number): StreamReply => ({ chunks: Array.from({ length: seconds * 10 }, (_, i) => chunk.text(`piece ${i} `)), delayMs: 100 });

/**
 * Two (and more) real gateway processes on one real Redis, and the instance
 * running the tasks killed with SIGKILL: its tasks end, exactly once, on the
 * others, within a lease and a sweep; a stream on another instance ends
 * cleanly; a cancel sent through another instance returns once the task ended.
 */
describe('gateway instances sharing one Redis', () => {
  let redis: RedisServer;
  let model: OpenAIServer;
  const configure = (raw: RawConfig) => {
    raw.store = { ...raw.store, kind: 'redis', url: redis.url };
    raw.engine = { ...raw.engine, lease_ms: LEASE_MS };
    raw.limits = { ...raw.limits, running_tasks_per_user: 1_000 };
    raw.models.push({ name: 'mock', kind: 'openai', base_url: model.url, max_retries: 0, stall_timeout_ms: 120_000 });
    raw.bootstrap.agents[0].model = 'mock';
  };
  const start = () => startGatewayProcess({ configure });

  beforeAll(async () => {
    redis = await startRedis();
    model = await startOpenAIServer();
  });
  afterAll(async () => {
    killGatewayProcesses();
    await model?.close();
    await redis?.stop();
  });

  async function createTask(on: GatewayProcess): Promise<string> {
    const res = await fetch(`${on.base}/api/v3/openapi/task/create`, {
      method: 'POST',
      headers: { ...ALICE, 'content-type': 'application/json' },
      body: JSON.stringify({ ability_id: 'demo-agent', executor_type: 'cloud', inputs: { question: 'a long job' } }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: string }).data;
  }

  async function poll(on: GatewayProcess, taskId: string): Promise<{ status: string; events: { type: string }[] }> {
    const res = await fetch(`${on.base}/api/v1/tasks/${taskId}?from=0`, { headers: ALICE });
    return ((await res.json()) as { data: { status: string; events: { type: string }[] } }).data;
  }

  async function untilStreaming(on: GatewayProcess, taskId: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if ((await poll(on, taskId)).events.some((e) => e.type === 'text_chunk')) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`task ${taskId} never streamed`);
  }

  it('ends the tasks of a killed instance as failed within the lease, and a stream elsewhere ends cleanly with every frame once', async () => {
    const [a, b] = [await start(), await start()];
    model.script([slowAnswer(30)]);
    const taskId = await createTask(a);
    await untilStreaming(b, taskId);

    const stream = await fetch(`${b.base}/api/v3/openapi/task/stream/${taskId}`, { headers: ALICE });
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('event: message')) text += decoder.decode((await reader.read()).value, { stream: true });

    const killedAt = Date.now();
    await a.kill();
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      text += decoder.decode(next.value, { stream: true });
    }
    const endedAfter = Date.now() - killedAt;

    expect(text.trimEnd()).toMatch(/event: close\nid: \d+\ndata: close$/);
    // Every frame once: the ids are the frames' places, 0, 1, 2, … with none missing or repeated.
    const ids = [...text.matchAll(/^id: (.+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(ids.map((_, i) => i));
    // The task ended within a lease of the kill, plus one reaper sweep (a quarter lease) and some slack.
    console.log(`a task of a killed instance ended ${endedAfter} ms after the kill (lease ${LEASE_MS} ms)`);
    expect(endedAfter).toBeLessThan(LEASE_MS + 1_200);
    const final = await poll(b, taskId);
    expect(final.status).toBe('failed');
    await b.kill();
  });

  it('returns from a cancel sent through another instance only once the task has ended there', async () => {
    const [a, b] = [await start(), await start()];
    model.script([slowAnswer(30)]);
    const taskId = await createTask(a);
    await untilStreaming(b, taskId);
    const cancelled = await fetch(`${b.base}/api/v1/tasks/${taskId}/cancel`, { method: 'POST', headers: ALICE });
    expect(cancelled.status).toBe(200);
    // Read right after, through both instances.
    expect((await poll(b, taskId)).status).toBe('canceled');
    expect((await poll(a, taskId)).status).toBe('canceled');
    await a.kill();
    await b.kill();
  });

  it('ends every task of a dead instance however many live tasks are older (600 active)', async () => {
    const [a, b] = [await start(), await start()];
    const LIVE = 500;
    const DEAD = 100;
    model.script(Array.from({ length: LIVE + DEAD }, () => ({ chunks: [chunk.text('working')], stall: true })));
    const createOn = async (on: GatewayProcess, count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i += 20) ids.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, () => createTask(on)))));
      return ids;
    };
    // The live instance's tasks are the oldest: a reaper that only looked at the oldest would never get past them.
    const live = await createOn(b, LIVE);
    const dead = await createOn(a, DEAD);
    const statuses = async (ids: string[]) => {
      const out: string[] = [];
      for (let i = 0; i < ids.length; i += 50) out.push(...(await Promise.all(ids.slice(i, i + 50).map(async (id) => (await poll(b, id)).status))));
      return out;
    };
    expect((await statuses([...live, ...dead])).every((s) => s === 'running')).toBe(true);

    const killedAt = Date.now();
    await a.kill();
    let left = DEAD;
    while (left > 0 && Date.now() - killedAt < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      left = (await statuses(dead)).filter((s) => s === 'running').length;
    }
    console.log(`${DEAD} tasks of a killed instance, behind ${LIVE} older live ones, ended ${Date.now() - killedAt} ms after the kill`);
    expect(left).toBe(0);
    expect((await statuses(dead)).every((s) => s === 'failed')).toBe(true);
    expect((await statuses(live)).every((s) => s === 'running')).toBe(true);
    await b.kill();
  }, 90_000);
});
