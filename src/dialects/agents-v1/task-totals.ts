import type { Store } from '../../store/store.js';
import type { TaskTotals } from './event-mapping.js';

const CHUNK = 1000;

/**
 * `task_complete` reports how many model turns and tool calls the run made.
 * The task record does not keep those counts, so they are read off its log:
 * every `tool.started` is a call, and every run of tool events ends one model
 * turn that asked for tools; a run that succeeded adds its final, answering
 * turn. Read once per client, when a poll reaches the end of the task; a
 * capped log that dropped its oldest events gives lower counts.
 */
export async function taskTotals(store: Store, taskId: string): Promise<TaskTotals> {
  let toolCalls = 0;
  let toolRounds = 0;
  let inToolRun = false;
  for (let from = 0; ; ) {
    const events = await store.read(taskId, from, CHUNK);
    for (const event of events) {
      const isTool = event.type === 'tool.started' || event.type === 'tool.progress' || event.type === 'tool.completed';
      if (event.type === 'tool.started') toolCalls++;
      if (isTool && !inToolRun) toolRounds++;
      inToolRun = isTool;
    }
    const last = events.at(-1);
    if (!last || events.length < CHUNK) break;
    from = last.offset + 1;
  }
  return { iterations: toolRounds + 1, toolCalls };
}
