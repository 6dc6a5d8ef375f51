import type { Store } from '../store/store.js';
import type { Owner } from './conversation-keys.js';
import type { Task } from './records.js';
import { ACTIVE_TASKS, TASK, queueOf, runningOf } from './task-finish.js';
import { TASKS_EXPIRING, refOfMember, taskList, unindexTask, type TaskRef, type TaskScope } from './task-indexes.js';

/** A page of the owner's tasks in a scope, newest first; `total` counts the whole scope. */
export async function listTasks(store: Store, owner: Owner, page: { offset: number; limit: number }, scope: TaskScope = {}): Promise<{ items: Task[]; total: number }> {
  const { members, total } = await store.indexRange(taskList(owner, scope), { ...page, reverse: true });
  const records = await Promise.all(members.map((id) => store.get<Task>(TASK, id)));
  return { items: records.flatMap((r) => (r ? [r.value] : [])), total };
}

/**
 * Removes a task for good: its record, its log, and every listing, queue and
 * count it is in. A run still going on another instance finds the record gone
 * and ends without writing it back (see `finishTask`).
 */
export async function forgetTask(store: Store, task: TaskRef): Promise<void> {
  await store.delete(TASK, task.id);
  // An expiry of zero is the store contract's way to drop a log now.
  await store.expireLog(task.id, 0);
  await unindexTask(store, task);
  await store.indexRemove(ACTIVE_TASKS, task.id);
  await store.indexRemove(queueOf(task), task.id);
  await store.indexRemove(runningOf(task.tenant, task.userId), task.id);
}

/** A task whose record outlives its planned expiry (rewritten meanwhile) is looked at again this much later. */
const RECHECK_MS = 60_000;

/** Takes the tasks whose records have expired out of their listings. Returns how many. */
export async function unindexExpired(store: Store, now = Date.now(), limit = 500): Promise<number> {
  let removed = 0;
  for (const member of await store.indexUpTo(TASKS_EXPIRING, now, limit)) {
    const ref = refOfMember(member);
    if (ref && (await store.get<Task>(TASK, ref.id))) {
      await store.indexAdd(TASKS_EXPIRING, member, now + RECHECK_MS);
      continue;
    }
    if (ref) {
      await unindexTask(store, ref);
      removed++;
    }
    await store.indexRemove(TASKS_EXPIRING, member);
  }
  return removed;
}
