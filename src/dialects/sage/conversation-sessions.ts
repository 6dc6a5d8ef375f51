import type { Engine } from '../../engine/engine.js';
import type { Principal, Task } from '../../engine/records.js';
import { isoOf } from './conversation-dto.js';

/** A conversation's newest tasks read when looking for the ones still going: runs queue behind each other, so few are open. */
const RECENT_TASKS = 50;

const isOpen = (t: Task) => t.state === 'pending' || t.state === 'running';

/** The conversation's tasks, newest first (404 for a conversation the caller does not have). */
export async function recentTasks(engine: Engine, principal: Principal, sessionId: string): Promise<Task[]> {
  const { items } = await engine.tasks.list(principal, { offset: 0, limit: RECENT_TASKS }, { conversationId: sessionId });
  return items;
}

/**
 * Stops every task of the conversation that is waiting or running, for real:
 * the engine cancels it wherever it runs (the model call is aborted, partial
 * output is kept). Nothing running is not an error: the UI sends this after
 * every stop, also when the answer had already ended.
 */
export async function interruptSession(engine: Engine, principal: Principal, sessionId: string, message: string | undefined) {
  const open = (await recentTasks(engine, principal, sessionId)).filter(isOpen);
  const cancelled = await Promise.all(open.map((t) => engine.tasks.cancel(principal, t.id)));
  return {
    session_id: sessionId,
    interrupted: cancelled.length > 0,
    task_ids: cancelled.map((t) => t.id),
    message: message ?? null,
  };
}

/** A task as `tasks_status` lists it. */
function taskStatus(t: Task) {
  return {
    task_id: t.id,
    status: t.state,
    agent_id: t.agentId,
    model: t.model,
    created_at: isoOf(t.createdAt),
    started_at: t.startedAt === undefined ? null : isoOf(t.startedAt),
    finished_at: t.finishedAt === undefined ? null : isoOf(t.finishedAt),
    error: t.error ?? null,
  };
}

/**
 * The session's progress: `status` is `running` while any task waits or
 * runs, else the state of the newest task (`idle` when it has none); `tasks`
 * lists the recent tasks, newest first.
 */
export async function sessionTasksStatus(engine: Engine, principal: Principal, sessionId: string) {
  const tasks = await recentTasks(engine, principal, sessionId);
  const running = tasks.some(isOpen);
  return {
    session_id: sessionId,
    status: running ? 'running' : (tasks[0]?.state ?? 'idle'),
    is_running: running,
    tasks: tasks.map(taskStatus),
  };
}
