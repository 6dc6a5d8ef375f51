import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/engine/records.js';
import { until } from '../engine/harness.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { chunk, startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };
const LEASE_MS = 1_500;

/**
 * Redis paused for longer than the task lease while tasks stream: the leases
 * lapse, the reaper ends the tasks, and the runners (still alive) must write
 * nothing more. Every log ends exactly once, with nothing after its end.
 */
describe('a Redis pause longer than the lease', () => {
  let redis: RedisServer;
  let model: OpenAIServer;
  let gw: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    model = await startOpenAIServer({ fallback: { chunks: Array.from({ length: 40 }, (_, i) => chunk.text(`piece ${i} `)), delayMs: 100 } });
    gw = await startTestGateway({
      store: 'redis',
      redisUrl: redis.url,
      configure: (raw) => {
        // Longer than the pause: writes sent meanwhile wait and land after it, as on a stuck host that recovers.
        raw.store.command_timeout_ms = 8_000;
        raw.engine.lease_ms = LEASE_MS;
        raw.models.push({ name: 'mock', kind: 'openai', base_url: model.url, max_retries: 0 });
        raw.bootstrap.agents[0].model = 'mock';
      },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await model?.close();
    await redis?.stop();
  });

  it('ends every task exactly once, nothing written after its end', async () => {
    const { engine } = gw.gateway;
    const tasks = await Promise.all(Array.from({ length: 5 }, (_, i) => engine.tasks.create(alice, { agentId: 'demo-agent', input: { text: `job ${i}` } })));
    await until(async () => {
      const pages = await Promise.all(tasks.map((t) => engine.tasks.read(alice, t.id, 0, 1000)));
      return pages.every((p) => p.events.some((e) => e.type === 'message.delta'));
    });

    process.kill(redis.pid, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 1_000));
    process.kill(redis.pid, 'SIGCONT');

    await until(async () => (await Promise.all(tasks.map((t) => engine.tasks.get(alice, t.id)))).every((t) => t.state !== 'running' && t.state !== 'pending'), 15_000);
    // Give any runner that would keep writing the time to do so.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const task of tasks) {
      const { events } = await engine.tasks.read(alice, task.id, 0, 10_000);
      const types = events.map((e) => e.type);
      expect({ task: task.id, finished: types.filter((t) => t === 'task.finished').length }).toEqual({ task: task.id, finished: 1 });
      expect(types.at(-1)).toBe('task.finished');
      expect(types.filter((t) => t === 'error').length).toBeLessThanOrEqual(1);
      expect(events.map((e) => e.offset)).toEqual(events.map((_, i) => i));
      expect((await engine.tasks.get(alice, task.id)).state).toBe('failed');
    }
  });
});
