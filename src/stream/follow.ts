import type { Engine } from '../engine/engine.js';
import type { TaskEvent } from '../engine/events.js';
import type { Principal } from '../engine/records.js';
import type { StreamWriter } from './stream-writer.js';
import { isFinal } from '../engine/task-finish.js';

export interface FollowOptions {
  engine: Engine;
  principal: Principal;
  taskId: string;
  from: number;
  epoch?: string;
  writer: StreamWriter;
  /** Writes one event in the dialect's frames (may write nothing). */
  onEvent(event: TaskEvent): Promise<void>;
  /** Writes the dialect's closing frames once the task's last event was sent. */
  onEnd(): Promise<void>;
}

/**
 * Streams a task's log to one client: replay from `from`, then live, until
 * the task ends (its `task.finished` event) or the client leaves; then
 * releases the subscription. Errors from the store end the stream cleanly.
 */
export async function followTask(options: FollowOptions): Promise<void> {
  const { engine, principal, taskId, writer } = options;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const subscription = await engine.tasks.follow(principal, taskId, { offset: options.from, epoch: options.epoch }, async (event) => {
    if (writer.closed) return;
    await options.onEvent(event);
    if (event.type === 'task.finished') {
      await options.onEnd();
      await writer.end();
      resolveDone();
    }
  });
  // A client already holding the last event of a finished task gets the closing frames at once.
  const page = await engine.tasks.read(principal, taskId, options.from, 1);
  const finished = isFinal(page.task);
  if (finished && page.events.length === 0) {
    subscription.close();
    await options.onEnd();
    await writer.end();
    return;
  }
  writer.onClose(() => {
    subscription.close();
    resolveDone();
  });
  void subscription.failed.then(() => writer.end());
  await done;
  subscription.close();
}
