import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { asDemoUser, startSageGateway } from './client.js';

/** The Sage fields kept beside the engine's columns survive the Redis store as the memory one. */
describe('Sage agents on Redis', () => {
  let redis: RedisServer;
  let gw: TestGateway;
  beforeAll(async () => {
    redis = await startRedis();
    gw = await startSageGateway({ store: 'redis', redisUrl: redis.url });
  });
  afterAll(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('round-trips every field, an update and the authorization list', async () => {
    const bob = asDemoUser(gw, 'bob');
    const alice = asDemoUser(gw, 'alice');
    const body = {
      name: 'On Redis',
      systemPrefix: 'Prompt',
      systemContext: { a: 1 },
      availableTools: ['calculator', 'web_search'],
      availableSkills: ['s1'],
      agentMode: 'fibre',
      thinkingLevel: 'low',
      subAgentSelectionMode: 'auto',
      maxLoopCount: 7,
      deepThinking: true,
    };
    const created = await bob.post('/api/agent/create', body);
    expect(created.status, created.text).toBe(200);
    const id = created.body.data.agent_id as string;
    expect((await bob.get(`/api/agent/${id}`)).body.data).toMatchObject(body);

    expect((await bob.call('PUT', `/api/agent/${id}`, { json: { agentMode: 'team' } })).status).toBe(200);
    expect((await bob.get(`/api/agent/${id}`)).body.data).toMatchObject({ ...body, agentMode: 'team' });

    expect((await bob.post(`/api/agent/${id}/auth`, { user_ids: ['bob'] })).status).toBe(200);
    expect((await bob.get(`/api/agent/${id}/auth`)).body.data).toEqual(['bob']);
    // The admin still sees it; the list of another non-admin would not.
    expect((await alice.get(`/api/agent/${id}`)).status).toBe(200);
  });
});
