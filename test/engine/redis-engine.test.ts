import { describe, expect, it } from 'vitest';
import { redisPerFile } from '../support/redis-per-file.js';
import { chunk, startOpenAIServer } from '../support/openai-server.js';
import { engineSuite } from './engine-suite.js';
import { alice, followToEnd, startEngine, testConfig, waitForEvent } from './harness.js';

const redis = redisPerFile('e');

// Each `open()` gets its own key prefix on the one server; `reopen()` joins it.
let prefix = '';
let count = 0;
engineSuite('redis', {
  open: () => {
    prefix = `e${++count}:`;
    return Promise.resolve(redis.store(prefix));
  },
  reopen: () => Promise.resolve(redis.store(prefix)),
});

describe('engine instances sharing one Redis', () => {
  it('a cancel sent through one instance stops the model call running on another', async () => {
    const model = await startOpenAIServer();
    const keyPrefix = `x${Date.now()}:`;
    const storeA = redis.store(keyPrefix);
    const storeB = redis.store(keyPrefix);
    const a = await startEngine(storeA, testConfig(model.url), 'gw-a');
    const b = await startEngine(storeB, testConfig(model.url), 'gw-b');
    try {
      model.script([{ chunks: [chunk.text('started')], stall: true }]);
      const task = await a.tasks.create(alice, { agentId: 'calc', input: { text: 'long job' } });
      // B follows the task live, and B sends the cancel.
      await waitForEvent(b, alice, task.id, (e) => e.type === 'message.delta');
      await b.tasks.cancel(alice, task.id);
      const events = await followToEnd(a, alice, task.id);
      expect(events.at(-1)).toMatchObject({ type: 'task.finished', data: { state: 'cancelled' } });
      expect(await model.requests.at(-1)!.outcome).toBe('client-closed');
      expect((await b.tasks.get(alice, task.id)).state).toBe('cancelled');
    } finally {
      await a.stop(0);
      await b.stop(0);
      await storeA.close();
      await storeB.close();
      await model.close();
    }
  });
});
