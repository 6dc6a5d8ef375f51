import type { Store } from '../store/store.js';
import { EngineError } from './errors.js';
import type { Task } from './records.js';
import { TASK, isFinal, runningOf } from './task-finish.js';

/**
 * A member without a task record this old is left over from a create that
 * died half-way; a younger one may be a create still in progress.
 */
const ORPHAN_AFTER_MS = 60_000;

/**
 * Admits a new local task against the user's limit, across every instance
 * sharing the store: the task joins the user's running set first and counts
 * after, so two concurrent creates can never both slip past the limit (at
 * worst both are refused). Over the limit, members that are not really
 * running (finished, or orphaned by a crash) are pruned before refusing, so
 * a leak can never lock a user out. `finishTask` leaves the set.
 */
export async function admitRunning(store: Store, owner: { tenant: string; userId: string }, taskId: string, limit: number, now = Date.now()): Promise<void> {
  const list = runningOf(owner.tenant, owner.userId);
  await store.indexAdd(list, taskId, now);
  if ((await countOf(store, list)) <= limit) return;
  await pruneIdle(store, list, taskId, now);
  if ((await countOf(store, list)) <= limit) return;
  await store.indexRemove(list, taskId);
  throw new EngineError('rate_limited', `too many running tasks (at most ${limit} per user); try again when one has finished`, { limit });
}

async function countOf(store: Store, list: string): Promise<number> {
  return (await store.indexRange(list, { offset: 0, limit: 0 })).total;
}

async function pruneIdle(store: Store, list: string, self: string, now: number): Promise<void> {
  const { members } = await store.indexRange(list, { offset: 0, limit: 1000 });
  const admittedBefore = new Set(await store.indexUpTo(list, now - ORPHAN_AFTER_MS, 1000));
  for (const id of members) {
    if (id === self) continue;
    const task = (await store.get<Task>(TASK, id))?.value;
    const over = task ? isFinal(task) : admittedBefore.has(id);
    if (over) await store.indexRemove(list, id);
  }
}
