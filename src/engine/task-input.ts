import type { Conversations } from './conversations.js';
import type { MessagePart, Principal, Task } from './records.js';

/** The principal a task acts for (its owner), for engine-internal calls made on its behalf. */
export function ownerOf(task: Task): Principal {
  return { tenant: task.tenant, userId: task.userId, username: task.userId, admin: false, via: 'system' };
}

/** Adds the task's input to its conversation as a user message (text, then images). */
export async function recordInput(conversations: Conversations, task: Task): Promise<void> {
  const { text, images } = task.input;
  const content: string | MessagePart[] = images?.length ? [{ type: 'text', text }, ...images.map((file) => ({ type: 'image' as const, file }))] : text;
  await conversations.addMessage(ownerOf(task), task.conversationId, { role: 'user', content, taskId: task.id });
}
