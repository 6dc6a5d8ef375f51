import { LogMissingError, type Fence, type Store } from '../store/store.js';
import { conversationKey, type ConversationRef } from './conversation-keys.js';
import { userKey } from './directory.js';
import type { EventInput, RunTotals, TaskEvent, TaskState, Usage } from './events.js';
import type { Task } from './records.js';
import { updateRecord } from './record-update.js';
import { unindexAt } from './task-indexes.js';

export type FinalState = Extract<TaskState, 'succeeded' | 'failed' | 'cancelled'>;

export interface Outcome {
  state: FinalState;
  outputs?: unknown;
  error?: string;
  usage?: Usage;
  totals?: RunTotals;
}

export const TASK = 'task';
export const ACTIVE_TASKS = 'tasks:active';
export const runLease = (taskId: string) => `run:${taskId}`;
/** Set by a cancel; the runner's heartbeat looks at it, never at the task record. */
export const cancelFlag = (taskId: string) => `cancel:${taskId}`;
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

export interface FinishOptions {
  eventLogCap: number;
  retentionSeconds: number;
  /** The runner's lease: a runner that lost it must not end the task (whoever took over will). */
  fence?: Fence;
}

/**
 * Ends a task exactly once, whoever calls it (its runner, a cancel of a task
 * that never started, the reaper of a dead runner). The one step that decides
 * is the store's `closeLog`: the closing events and the log's end, written
 * atomically, once. Everything after (the final record, listings, slots)
 * follows from the log's last event and is safe to repeat, so a caller that
 * dies half-way leaves a task the reaper completes the same way. The log is
 * closed before the record is written, so a poller that sees the final state
 * has every event already. Returns false when the log had been closed before.
 */
export async function finishTask(store: Store, task: Task, outcome: Outcome, opts: FinishOptions, now = Date.now()): Promise<boolean> {
  const closing: EventInput[] = [];
  if (outcome.state === 'failed') closing.push({ type: 'error', data: { message: outcome.error ?? 'task failed' } });
  closing.push({
    type: 'task.finished',
    data: { state: outcome.state, outputs: outcome.outputs, error: outcome.error, usage: outcome.usage, totals: outcome.totals },
  });
  let closed: TaskEvent[] | undefined;
  try {
    closed = await store.closeLog(task.id, closing, opts.eventLogCap, opts.fence);
  } catch (err) {
    // A log gone already (its retention ran out) has nothing left to close; the record still ends.
    if (!(err instanceof LogMissingError)) throw err;
  }
  const final = closed ? outcome : ((await loggedOutcome(store, task.id)) ?? outcome);
  await updateRecord<Task>(
    store,
    TASK,
    task.id,
    (t) =>
      isFinal(t)
        ? undefined
        : { ...t, state: final.state, outputs: final.outputs, error: final.error, usage: final.usage ?? t.usage, totals: final.totals, finishedAt: now },
    { ttlSeconds: opts.retentionSeconds },
  );
  await store.expireLog(task.id, opts.retentionSeconds);
  await unindexAt(store, task, Date.now() + opts.retentionSeconds * 1000);
  await store.indexRemove(ACTIVE_TASKS, task.id);
  await store.indexRemove(queueOf(task), task.id);
  await store.indexRemove(runningOf(task.tenant, task.userId), task.id);
  await releaseSlots(store, task);
  return closed !== undefined;
}

export function isFinal(task: Pick<Task, 'state'>): boolean {
  return task.state === 'succeeded' || task.state === 'failed' || task.state === 'cancelled';
}

/** The outcome a closed log ended with (its last event, `task.finished`), if it is still kept. */
export async function loggedOutcome(store: Store, taskId: string): Promise<Outcome | undefined> {
  const info = await store.logInfo(taskId);
  if (!info || info.next === 0) return undefined;
  const [last] = await store.read(taskId, info.next - 1, 1);
  if (last?.type !== 'task.finished') return undefined;
  const { state, outputs, error, usage, totals } = last.data as Outcome;
  return { state, outputs, error, usage, totals };
}

/**
 * Undoes what a create that failed part-way may hold: its slots, its place in
 * its conversation's line, the reaper's entry and the run lease.
 */
export async function abandonCreate(store: Store, task: Task, runner: string): Promise<void> {
  await releaseSlots(store, task);
  await store.indexRemove(queueOf(task), task.id);
  await store.indexRemove(ACTIVE_TASKS, task.id);
  await store.release(runLease(task.id), runner);
}

/** Every slot a task may hold (its conversation's, and its extra ones), each only if it still holds it. */
export function slotsOf(task: Task): string[] {
  return [slotLease(conversationSlot(task)), ...(task.slots ?? []).map(slotLease)];
}

async function releaseSlots(store: Store, task: Task): Promise<void> {
  for (const slot of slotsOf(task)) await store.release(slot, task.id);
}
