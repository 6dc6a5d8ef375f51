import type { Store } from '../store/store.js';
import { conversationKey, type ConversationRef } from './conversation-keys.js';
import { userKey } from './directory.js';
import type { EventInput, TaskState, Usage } from './events.js';
import type { Task } from './records.js';
import { updateRecord } from './record-update.js';
import { unindexAt } from './task-indexes.js';

export type FinalState = Extract<TaskState, 'succeeded' | 'failed' | 'cancelled'>;

export interface Outcome {
  state: FinalState;
  outputs?: unknown;
  error?: string;
  usage?: Usage;
}

export const TASK = 'task';
export const ACTIVE_TASKS = 'tasks:active';
export const runLease = (taskId: string) => `run:${taskId}`;
export const slotLease = (name: string) => `slot:${name}`;
/**
 * The slot and the queue of a conversation, scoped to its owner like the
 * conversation itself: two users with the same conversation id never wait
 * for each other. The prefix keeps it apart from extra slots (`user:…`).
 */
export const conversationSlot = (ref: ConversationRef) => `conversation:${conversationKey(ref)}`;
export const queueOf = (ref: ConversationRef) => `queue:${conversationKey(ref)}`;
/** A user's local tasks that started and have not finished (see ./running-limit.ts). */
export const runningOf = (tenant: string, userId: string) => `running:${userKey(tenant, userId)}`;
const finishClaim = (taskId: string) => `finish:${taskId}`;

/**
 * Ends a task exactly once, whoever calls it (its runner, a cancel of a task
 * that never started, the reaper of a dead runner): the first caller claims
 * the finish, appends the closing events, then records the final state. The
 * log is written before the record so a poller that sees the final state has
 * every event already. Returns false when the task had already been ended.
 */
export async function finishTask(
  store: Store,
  task: Task,
  outcome: Outcome,
  opts: { eventLogCap: number; retentionSeconds: number; owner: string },
  now = Date.now(),
): Promise<boolean> {
  const claimed = await store.acquire(finishClaim(task.id), opts.owner, opts.retentionSeconds * 1000);
  const current = claimed ? (await store.get<Task>(TASK, task.id))?.value : undefined;
  if (!current || current.state === 'succeeded' || current.state === 'failed' || current.state === 'cancelled') {
    await releaseSlots(store, task);
    return false;
  }

  const closing: EventInput[] = [];
  if (outcome.state === 'failed') closing.push({ type: 'error', data: { message: outcome.error ?? 'task failed' } });
  closing.push({
    type: 'task.finished',
    data: { state: outcome.state, outputs: outcome.outputs, error: outcome.error, usage: outcome.usage },
  });
  for (const event of closing) await store.append(task.id, event, opts.eventLogCap);

  await updateRecord<Task>(
    store,
    TASK,
    task.id,
    (t) => ({ ...t, state: outcome.state, outputs: outcome.outputs, error: outcome.error, usage: outcome.usage ?? t.usage, finishedAt: now }),
    { ttlSeconds: opts.retentionSeconds },
  );
  await store.expireLog(task.id, opts.retentionSeconds);
  await unindexAt(store, task, Date.now() + opts.retentionSeconds * 1000);
  await store.indexRemove(ACTIVE_TASKS, task.id);
  await store.indexRemove(queueOf(task), task.id);
  await store.indexRemove(runningOf(task.tenant, task.userId), task.id);
  await releaseSlots(store, task);
  return true;
}

/** Every slot a task may hold (its conversation's, and its extra ones), each only if it still holds it. */
export function slotsOf(task: Task): string[] {
  return [slotLease(conversationSlot(task)), ...(task.slots ?? []).map(slotLease)];
}

async function releaseSlots(store: Store, task: Task): Promise<void> {
  for (const slot of slotsOf(task)) await store.release(slot, task.id);
}
