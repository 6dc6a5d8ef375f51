import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { Engine } from '../../src/engine/engine.js';
import type { TaskEvent } from '../../src/engine/events.js';
import type { Principal } from '../../src/engine/records.js';
import { createExecutor } from '../../src/executors/registry.js';
import { lookupTools } from '../../src/executors/tools.js';
import { silentLogger } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';

export const alice: Principal = { tenant: 'acme', userId: 'alice', username: 'alice', admin: false, via: 'token' };
export const bob: Principal = { tenant: 'acme', userId: 'bob', username: 'bob', admin: false, via: 'token' };

/** A config with one model on the local OpenAI-compatible server and a calculator agent. */
export function testConfig(modelUrl: string, engine: Record<string, unknown> = {}): Config {
  return parseConfig(
    {
      models: [{ name: 'mock', kind: 'openai', base_url: modelUrl, api_key: 'sk-test', max_retries: 0, stall_timeout_ms: 10_000 }],
      default_model: 'mock',
      engine: { lease_ms: 900, ...engine },
      bootstrap: {
        tenants: [{ code: 'acme', name: 'Acme' }],
        users: [
          { id: 'alice', tenant: 'acme', username: 'alice' },
          { id: 'bob', tenant: 'acme', username: 'bob' },
        ],
        agents: [{ id: 'calc', tenant: 'acme', name: 'Calculator', system_prompt: 'Use the calculator.', tools: ['calculator'] }],
      },
    },
    {},
  );
}

export async function startEngine(store: Store, config: Config, instanceId?: string): Promise<Engine> {
  const engine = new Engine({ store, config, executorFor: createExecutor, toolsFor: lookupTools, logger: silentLogger, instanceId });
  await engine.start();
  return engine;
}

/** Follows a task from `from` until its `task.finished` event; returns every event seen. */
export async function followToEnd(engine: Engine, principal: Principal, taskId: string, from = 0): Promise<TaskEvent[]> {
  const events: TaskEvent[] = [];
  let subscription: { close(): void } | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`task ${taskId} did not finish; saw ${events.map((e) => e.type).join(',')}`)), 15_000);
    engine.tasks
      .follow(principal, taskId, { offset: from }, (event) => {
        events.push(event);
        if (event.type === 'task.finished') {
          clearTimeout(timer);
          resolve();
        }
      })
      .then((s) => (subscription = s), reject);
  });
  subscription?.close();
  // The log is complete before the record says so; wait for a local runner to finish writing.
  await engine.runner.settled(taskId);
  return events;
}

/** Resolves with the first event of the task that satisfies `test`. */
export async function waitForEvent(engine: Engine, principal: Principal, taskId: string, test: (e: TaskEvent) => boolean): Promise<TaskEvent> {
  let subscription: { close(): void } | undefined;
  const found = await new Promise<TaskEvent>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching event for ${taskId}`)), 15_000);
    engine.tasks
      .follow(principal, taskId, { offset: 0 }, (event) => {
        if (test(event)) {
          clearTimeout(timer);
          resolve(event);
        }
      })
      .then((s) => (subscription = s), reject);
  });
  subscription?.close();
  return found;
}

export async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
