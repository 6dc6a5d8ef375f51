import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/engine/events.js';
import type { Principal } from '../../src/engine/records.js';
import type { ViewFold, ViewSpec } from '../../src/stream/task-view.js';
import { ViewRegistry } from '../../src/stream/view-registry.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };
const bob: Principal = { tenant: 'demo', userId: 'bob', username: 'bob', admin: false, via: 'token' };

/** Two frames per event, so positions and offsets differ. */
const twice: ViewFold<TaskEvent> = { apply: (event) => [event, event] };
const VIEW: ViewSpec<TaskEvent, typeof twice, string> = { start: () => twice, render: (event, position) => `${position}:${event.offset}:${event.type}` };

describe('task views kept within their budget', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.stop());

  const finishedTask = async (text: string) => {
    const task = await gw.gateway.engine.tasks.create(alice, { agentId: 'demo-agent', input: { text } });
    await gw.gateway.engine.runner.settled(task.id);
    return task.id;
  };

  it('drops the least recently used views past the budget and rebuilds one the same when read again', async () => {
    const ids = [await finishedTask('one'), await finishedTask('two'), await finishedTask('three')];
    const size = (await new ViewRegistry(gw.gateway.engine).create(VIEW).current(alice, ids[0]!)).view.size;
    // Room for one demo task's frames and a half.
    const registry = new ViewRegistry(gw.gateway.engine, { maxFrames: Math.floor(size * 1.5) });
    const views = registry.create(VIEW);
    const first = (await views.current(alice, ids[0]!)).view;
    const frames = [...first.frames];
    expect(frames.slice(0, 4)).toEqual(['0:0:task.started', '1:0:task.started', '2:1:reasoning.started', '3:1:reasoning.started']);
    expect(first.finished).toBe(true);
    for (const id of ids.slice(1)) await views.current(alice, id);
    expect(registry.stats().views).toBe(1);
    const rebuilt = (await views.current(alice, ids[0]!)).view;
    expect(rebuilt).not.toBe(first);
    expect(rebuilt.frames).toEqual(frames);
    // Reading a kept view renders nothing again.
    const rendered = registry.stats().rendered;
    await views.current(alice, ids[0]!);
    expect(registry.stats().rendered).toBe(rendered);
  });

  it('reads every view through its owner: another user gets "not found" and the view is untouched', async () => {
    const id = await finishedTask('mine');
    const views = new ViewRegistry(gw.gateway.engine).create(VIEW);
    const { view } = await views.current(alice, id);
    await expect(views.current(bob, id)).rejects.toMatchObject({ code: 'not_found' });
    expect((await views.current(alice, id)).view).toBe(view);
  });
});
