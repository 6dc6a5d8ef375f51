import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reaper } from '../../src/engine/reaper.js';
import type { Task } from '../../src/engine/records.js';
import { ACTIVE_TASKS, TASK, isFinal, runLease } from '../../src/engine/task-finish.js';
import { silentLogger } from '../../src/log.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { testConfig } from '../engine/harness.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const COUNT = 300;
const LEASE_MS = 4_000;
const PREFIX = 'finish-crash:';
const dist = (path: string) => JSON.stringify(pathToFileURL(join(PACKAGE_ROOT, 'dist/src', path)).href);

/**
 * A runner process that ends its tasks one after another, through the real
 * `finishTask`, saying which one it starts; it holds every run lease.
 */
const FINISHER = `
  const { RedisStore } = await import(${dist('store/redis-store.js')});
  const { TASK, finishTask, runLease } = await import(${dist('engine/task-finish.js')});
  const store = new RedisStore({ url: process.argv[1], keyPrefix: ${JSON.stringify(PREFIX)} });
  const ids = JSON.parse(process.argv[2]);
  for (const [n, id] of ids.entries()) {
    const task = (await store.get(TASK, id)).value;
    process.stdout.write('finishing ' + n + '\\n');
    await finishTask(store, task, { state: 'succeeded', outputs: { n } }, {
      eventLogCap: 1000, retentionSeconds: 3600, fence: { lease: runLease(id), owner: 'finisher' },
    });
  }
  process.stdout.write('all done\\n');
`;

/**
 * kill -9 of a runner while it is ending tasks: whatever step each ending had
 * reached, every task ends exactly once, and one whose log was already closed
 * keeps the outcome its runner wrote there.
 */
describe('a runner killed while it ends its tasks', () => {
  let redis: RedisServer;
  let store: RedisStore;
  beforeAll(async () => {
    redis = await startRedis();
    store = new RedisStore({ url: redis.url, keyPrefix: PREFIX });
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  /** Running tasks as a runner leaves them: record, log with a first event, run lease, reaper entry. */
  async function runningTasks(): Promise<string[]> {
    const ids = Array.from({ length: COUNT }, (_, n) => `task_crash_${n}`);
    const now = Date.now();
    for (const [n, id] of ids.entries()) {
      const epoch = await store.createLog(id);
      const task: Task = {
        id, tenant: 'acme', userId: 'alice', agentId: 'calc', conversationId: `conv_${n}`, model: 'mock', state: 'running',
        input: { text: 'q' }, reasoning: false, maxLoops: 5, executor: 'local', cancelRequested: false, slots: [], epoch,
        createdAt: now, startedAt: now, meta: {},
      };
      await store.put(TASK, id, task);
      await store.append(id, { type: 'task.started', data: { taskId: id, agentId: 'calc', model: 'mock' } }, 1000);
      await store.acquire(runLease(id), 'finisher', LEASE_MS);
      await store.indexAdd(ACTIVE_TASKS, id, now + LEASE_MS);
    }
    return ids;
  }

  it('ends every task exactly once, with the outcome already logged where there is one', async () => {
    const ids = await runningTasks();
    const child = spawn(process.execPath, ['--input-type=module', '-e', FINISHER, redis.url, JSON.stringify(ids)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/finishing 150\n/.test(out)) resolve();
      });
      child.once('exit', () => reject(new Error(`the finisher ended before it was killed: ${out}`)));
    });
    child.kill('SIGKILL');
    await exited;

    // What the kill left: tasks whose log is closed but whose record is not final yet are
    // the ones caught in the middle of their ending.
    let halfway = 0;
    for (const id of ids) {
      const record = (await store.get<Task>(TASK, id))!.value;
      if ((await store.logInfo(id))!.closed && !isFinal(record)) halfway++;
    }
    console.log(`killed after ${out.match(/finishing/g)!.length} endings begun; ${halfway} caught between closing the log and the final record`);

    const reaper = new Reaper(store, testConfig('http://127.0.0.1:1/v1', { lease_ms: LEASE_MS }), silentLogger);
    const deadline = Date.now() + LEASE_MS + 10_000;
    while ((await store.indexRange(ACTIVE_TASKS, { offset: 0, limit: 0 })).total > 0 && Date.now() < deadline) {
      await reaper.sweep();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await store.indexRange(ACTIVE_TASKS, { offset: 0, limit: 0 })).total).toBe(0);

    const states = { succeeded: 0, failed: 0 };
    for (const id of ids) {
      const events = await store.read(id, 0, 1000);
      const finished = events.filter((e) => e.type === 'task.finished');
      expect({ id, finished: finished.length, last: events.at(-1)?.type }).toEqual({ id, finished: 1, last: 'task.finished' });
      const logged = (finished[0]!.data as { state: 'succeeded' | 'failed' }).state;
      const record = (await store.get<Task>(TASK, id))!.value;
      expect({ id, state: record.state }).toEqual({ id, state: logged });
      states[logged]++;
    }
    // The runner got some way before the kill, and the reaper ended the rest as failed.
    expect(states.succeeded).toBeGreaterThanOrEqual(150);
    expect(states.failed).toBeGreaterThan(0);
  }, 60_000);
});
