import type { Store } from '../store/store.js';
import { conversationKey, type Owner } from './conversation-keys.js';
import { scopedKey } from './keys.js';
import { userKey } from './directory.js';
import type { Task } from './records.js';

/** What a task is filed under: enough to find every listing it is in, also once its record is gone. */
export type TaskRef = Pick<Task, 'id' | 'tenant' | 'userId' | 'agentId' | 'conversationId'>;

/** Which of an owner's tasks to list: all, one agent's, or one conversation's. */
export type TaskScope = { agentId?: undefined; conversationId?: undefined } | { agentId: string; conversationId?: undefined } | { conversationId: string; agentId?: undefined };

/**
 * Finished tasks by the time their record expires (retention): their
 * listings are cleaned then (see `unindexExpired`), so totals count only
 * tasks that can still be read.
 */
export const TASKS_EXPIRING = 'tasks:expiring';

/** The listing of an owner's tasks in a scope, newest last. The all-tasks name predates the others. */
export function taskList(owner: Owner, scope: TaskScope = {}): string {
  if (scope.conversationId !== undefined) return `tasks-by-conversation:${conversationKey({ ...owner, conversationId: scope.conversationId })}`;
  if (scope.agentId !== undefined) return `tasks-by-agent:${scopedKey(owner.tenant, owner.userId, scope.agentId)}`;
  return `tasks:${userKey(owner.tenant, owner.userId)}`;
}

/** Every listing of a task. */
export function listsOf(task: TaskRef): string[] {
  return [taskList(task), taskList(task, { agentId: task.agentId }), taskList(task, { conversationId: task.conversationId })];
}

export async function indexTask(store: Store, task: TaskRef & { createdAt: number }): Promise<void> {
  for (const list of listsOf(task)) await store.indexAdd(list, task.id, task.createdAt);
}

export async function unindexTask(store: Store, task: TaskRef): Promise<void> {
  for (const list of listsOf(task)) await store.indexRemove(list, task.id);
  await store.indexRemove(TASKS_EXPIRING, expiringMember(task));
}

/** Files a finished task for unindexing at `at`, when its record expires. */
export async function unindexAt(store: Store, task: TaskRef, at: number): Promise<void> {
  await store.indexAdd(TASKS_EXPIRING, expiringMember(task), at);
}

/** The member carries the task's listing keys, as the record is gone when it is read. */
export const expiringMember = (t: TaskRef): string => JSON.stringify([t.id, t.tenant, t.userId, t.agentId, t.conversationId]);

export function refOfMember(member: string): TaskRef | undefined {
  try {
    const [id, tenant, userId, agentId, conversationId] = JSON.parse(member) as string[];
    if ([id, tenant, userId, agentId, conversationId].every((v) => typeof v === 'string')) {
      return { id: id!, tenant: tenant!, userId: userId!, agentId: agentId!, conversationId: conversationId! };
    }
  } catch {
    // Not one of ours: dropped by the caller.
  }
  return undefined;
}
