import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { chunk, startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { until } from '../engine/harness.js';
import type { Principal } from '../../src/engine/records.js';

const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };

describe('gateway HTTP surface', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('answers liveness and readiness outside every dialect', async () => {
    const health = await fetch(`${gw.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gw.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', store: 'memory' });
  });

  it('mounts each dialect under its prefix and answers unknown paths in the nearest dialect shape', async () => {
    const bit = await fetch(`${gw.baseUrl}/api/v3/openapi/no-such-thing`);
    expect(bit.status).toBe(404);
    expect(await bit.json()).toMatchObject({ code: '404' });
    const v1 = await fetch(`${gw.baseUrl}/api/v1/no-such-thing`);
    expect(v1.status).toBe(404);
    expect(await v1.json()).toMatchObject({ success: false, error: expect.any(String) });
    const bee = await fetch(`${gw.baseUrl}/openbee/api/no-such-thing`);
    expect(bee.status).toBe(404);
    expect(Object.keys((await bee.json()) as object)).toEqual(['error']);
    const outside = await fetch(`${gw.baseUrl}/nowhere`);
    expect(outside.status).toBe(404);
  });

  it('leaves no spooled upload behind, whether the upload was refused or stored', async () => {
    const upload = (path: string, headers: Record<string, string> = {}) => {
      const form = new FormData();
      form.append('file', new Blob(['some bytes']), 'note.txt');
      return fetch(`${gw.baseUrl}${path}`, { method: 'POST', body: form, headers });
    };
    expect((await upload('/api/v1/files/upload')).status).toBe(401);
    expect((await upload('/api/v3/openapi/common/file/upload')).status).toBe(401);
    expect((await upload('/api/v1/files/upload', { authorization: 'Bearer demo-token-alice' })).status).toBe(200);
    expect(readdirSync(join(gw.config.store.data_dir, 'spool'))).toEqual([]);
  });

  it('refuses an oversized body and malformed JSON in the dialect shape, never with a 500', async () => {
    const headers = { 'content-type': 'application/json', authorization: 'Bearer demo-token-alice' };
    const big = await fetch(`${gw.baseUrl}/api/v3/openapi/task/create`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: '413' });
    const broken = await fetch(`${gw.baseUrl}/api/v1/messages`, { method: 'POST', headers, body: '{"name": ' });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ success: false, error: expect.stringMatching(/^请求参数错误/) });
  });
});

describe('gateway boot checks and listeners', () => {
  it('signs cookies with the configured keys, else with keys derived from the store-kept signing key', async () => {
    const configured = ['k'.repeat(40), 'old-'.padEnd(40, 'o')];
    const withKeys = await startTestGateway({ configure: (raw) => (raw.server.cookie_keys = configured) });
    expect(withKeys.gateway.cookieKeys).toEqual(configured);
    await withKeys.stop();
    await expect(startTestGateway({ configure: (raw) => (raw.server.cookie_keys = ['short']) })).rejects.toThrow(/cookie_keys/);

    // Instances sharing the data (here: one restarted on it) derive the same key; other data, another key.
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-cookie-'));
    const first = await startTestGateway({ dataDir });
    const derived = first.gateway.cookieKeys;
    await first.stop();
    const again = await startTestGateway({ dataDir });
    const other = await startTestGateway();
    expect(derived).toHaveLength(1);
    expect(again.gateway.cookieKeys).toEqual(derived);
    expect(other.gateway.cookieKeys).not.toEqual(derived);
    await again.stop();
    await other.stop();
  });

  it('refuses to boot when two dialects mounted on one listener have colliding routes', async () => {
    const boot = startTestGateway({ configure: (raw) => (raw.dialects.openbee.prefix = '') });
    await expect(boot).rejects.toThrow(/collides with/);
  });

  it('serves a dialect on its own extra listener without its prefix', async () => {
    const gw = await startTestGateway({ configure: (raw) => (raw.dialects.openbee.port = 0) });
    try {
      const extra = gw.gateway.port('openbee');
      expect(extra).not.toBe(gw.gateway.port());
      const res = await fetch(`http://127.0.0.1:${extra}/api/no-such-thing`);
      expect(res.status).toBe(404);
      expect(Object.keys((await res.json()) as object)).toEqual(['error']);
      expect((await fetch(`http://127.0.0.1:${extra}/healthz`)).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});

describe('graceful shutdown', () => {
  let model: OpenAIServer;
  beforeAll(async () => {
    model = await startOpenAIServer();
  });
  afterAll(async () => {
    await model.close();
  });

  it('fails running tasks clearly, keeps the memory store across the restart, and the task stays readable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-restart-'));
    const configure = (raw: Record<string, any>) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      raw.models.push({ name: 'mock', kind: 'openai', base_url: model.url, max_retries: 0 });
      raw.bootstrap.agents[0].model = 'mock';
    };
    const first = await startTestGateway({ dataDir, configure });
    model.script([{ chunks: [chunk.text('half an ans')], stall: true }]);
    const engine = first.gateway.engine;
    const task = await engine.tasks.create(alice, { agentId: 'demo-agent', input: { text: 'long question' } });
    await until(async () => (await engine.tasks.read(alice, task.id, 0, 100)).events.some((e) => e.type === 'message.delta'));
    await first.stop();
    expect(await model.requests.at(-1)!.outcome).toBe('client-closed');

    const second = await startTestGateway({ dataDir, configure });
    try {
      const after = await second.gateway.engine.tasks.get(alice, task.id);
      expect(after.state).toBe('failed');
      expect(after.error).toMatch(/shutting down/);
      const page = await second.gateway.engine.tasks.read(alice, task.id, 0, 100);
      expect(page.events.at(-1)).toMatchObject({ type: 'task.finished', data: { state: 'failed' } });
      const history = await second.gateway.engine.conversations.messages(alice, task.conversationId);
      expect(history.map((m) => [m.role, m.content])).toEqual([
        ['user', 'long question'],
        ['assistant', 'half an ans'],
      ]);
    } finally {
      await second.stop();
    }
  });
});

describe('gateway on Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('is ready while Redis answers, and refuses to boot when it cannot reach it', async () => {
    const gw = await startTestGateway({ store: 'redis', redisUrl: redis.url });
    try {
      const ready = await fetch(`${gw.baseUrl}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', store: 'redis' });
    } finally {
      await gw.stop();
    }
    await expect(startTestGateway({ store: 'redis', redisUrl: 'redis://127.0.0.1:1' })).rejects.toThrow(/cannot reach Redis/);
  });
});
