import type { Engine } from '../../engine/engine.js';
import type { TaskEvent, TaskState } from '../../engine/events.js';
import type { Principal, Task } from '../../engine/records.js';
import { IDX_STRIDE, toV1Events } from './event-mapping.js';
import { isFinal } from '../../engine/task-finish.js';

/** Most canonical events one poll reads (at most IDX_STRIDE times as many v1 events). */
export const POLL_PAGE = 500;
/** Pages one poll may read while they hold only events without a v1 form. */
const MAX_PAGES = 4;

export interface TaskPollData {
  task_id: string;
  status: V1Status;
  created_at: number;
  updated_at: number;
  error: string | null;
  events: { idx: number; type: string; data: Record<string, unknown>; ts: number }[];
  next_offset: number;
}

export type V1Status = 'running' | 'succeeded' | 'failed' | 'canceled';

const STATUS: Record<TaskState, V1Status> = {
  pending: 'running',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'canceled',
};

const seconds = (ms: number) => ms / 1000;

/**
 * One poll: the v1 events from `from` on, at most a page of them.
 *
 * `next_offset` is the last returned idx + 1, or `from` when nothing is new.
 * Clients stop polling once `status` is not "running", so a page that does
 * not reach the end of the log reports "running" even when the task has
 * already ended: the status is the task's as of the last event the client
 * has been given, and no client stops before it has every event. The log is
 * complete before the task record says it ended, and the record is read
 * before the events, so a finished status always comes with the last event.
 */
export async function pollTask(engine: Engine, principal: Principal, taskId: string, from: number): Promise<TaskPollData> {
  const start = Math.floor(from / IDX_STRIDE);
  let cursor = start;
  let task: Task | undefined;
  let reachedEnd = false;
  let lastRead: TaskEvent | undefined;
  const events: TaskPollData['events'] = [];
  for (let page = 0; page < MAX_PAGES && events.length === 0; page++) {
    const read = await engine.tasks.read(principal, taskId, cursor, POLL_PAGE + 1);
    task = read.task;
    const batch = read.events.slice(0, POLL_PAGE);
    reachedEnd = read.events.length <= POLL_PAGE;
    const ctx = { startedAt: task.startedAt ?? task.createdAt };
    for (const event of batch) {
      toV1Events(event, ctx).forEach((v1, position) => {
        const idx = event.offset * IDX_STRIDE + position;
        if (idx >= from) events.push({ idx, type: v1.type, data: v1.data, ts: seconds(event.ts) });
      });
    }
    lastRead = batch.at(-1) ?? lastRead;
    if (reachedEnd || !lastRead) break;
    cursor = lastRead.offset + 1;
  }
  const current = task!;
  const ended = reachedEnd && isFinal(current);
  return {
    task_id: current.id,
    status: ended ? STATUS[current.state] : 'running',
    created_at: seconds(current.createdAt),
    updated_at: seconds(await updatedAt(engine, principal, current, reachedEnd ? lastRead : undefined)),
    error: ended && current.state === 'failed' ? (current.error ?? '任务失败') : null,
    events,
    next_offset: events.length ? events.at(-1)!.idx + 1 : from,
  };
}

/** When the task last changed: its end, else its latest event, else its start. */
async function updatedAt(engine: Engine, principal: Principal, task: Task, lastEvent: TaskEvent | undefined): Promise<number> {
  if (task.finishedAt) return task.finishedAt;
  if (lastEvent) return lastEvent.ts;
  const latest = await engine.tasks.latestEvent(principal, task.id);
  return latest?.ts ?? task.startedAt ?? task.createdAt;
}
