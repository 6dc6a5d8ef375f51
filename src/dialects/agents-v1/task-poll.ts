import { invalid } from '../../engine/errors.js';
import type { TaskState } from '../../engine/events.js';
import type { Principal } from '../../engine/records.js';
import { isFinal } from '../../engine/task-finish.js';
import type { ViewSpec } from '../../stream/task-view.js';
import type { TaskViews } from '../../stream/task-views.js';
import type { ViewRegistry } from '../../stream/view-registry.js';
import { V1Fold, type V1Event } from './event-mapping.js';

/** Most v1 events one poll returns. */
export const POLL_PAGE = 500;

export interface V1Frame {
  idx: number;
  type: string;
  data: Record<string, unknown>;
  ts: number;
}

export interface TaskPollData {
  task_id: string;
  status: V1Status;
  created_at: number;
  updated_at: number;
  error: string | null;
  events: V1Frame[];
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

/** A task's v1 events, each with its `idx` (its position) and the time of the canonical event it came from. */
const POLL_VIEW: ViewSpec<V1Event, V1Fold, V1Frame> = {
  start: (task) => new V1Fold(task),
  render: (frame, position, event) => ({ idx: position, type: frame.type, data: frame.data, ts: seconds(event.ts) }),
};

export type V1Views = TaskViews<V1Event, V1Fold, V1Frame>;

export function v1Views(views: ViewRegistry): V1Views {
  return views.create(POLL_VIEW);
}

/**
 * One poll: the v1 events from `from` on, at most a page of them; one store
 * read when this instance's view of the task is current.
 *
 * `next_offset` is `from` plus the number of events returned. Clients stop
 * polling once `status` is not "running", so a page that does not reach the
 * end of the view reports "running" even when the task has already ended:
 * the status is the task's as of the last event the client has been given,
 * and no client stops before it has every event. The record and the log are
 * read together, and the log is complete before the record says the task
 * ended, so a finished status always comes with the last event. A `from`
 * beyond the events the task has is a 400 that says how many there are.
 */
export async function pollTask(views: V1Views, principal: Principal, taskId: string, from: number): Promise<TaskPollData> {
  const { task, view, logClosed } = await views.current(principal, taskId);
  if (from > view.size) throw invalid(`from 超出范围: 该任务目前共有 ${view.size} 个事件`, { field: 'from', size: view.size });
  const events = view.frames.slice(from, from + POLL_PAGE);
  // A log gone before its record (expired) never shows `task.finished`: the record's end is the answer then.
  const ended = from + events.length === view.size && (view.finished || logClosed) && isFinal(task);
  return {
    task_id: task.id,
    status: ended ? STATUS[task.state] : 'running',
    created_at: seconds(task.createdAt),
    // When the task last changed: its end, else its latest event, else its start.
    updated_at: seconds(task.finishedAt ?? view.lastEventTs ?? task.startedAt ?? task.createdAt),
    error: ended && task.state === 'failed' ? (task.error ?? '任务失败') : null,
    events,
    next_offset: from + events.length,
  };
}
