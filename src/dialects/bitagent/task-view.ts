import type { TaskState } from '../../engine/events.js';
import type { Principal, Task } from '../../engine/records.js';
import { durationSeconds, isoTime } from './times.js';

/** What this dialect keeps on a task it creates (`task.meta.bitagent`). */
export interface BitAgentTaskMeta {
  executor_type: 'cloud' | 'client';
  executor_id: string | null;
  extensions: Record<string, unknown>;
  ability: { id: string; name: string; description: string | null };
}

export function metaOf(task: Task): BitAgentTaskMeta | undefined {
  const meta = task.meta.bitagent;
  return typeof meta === 'object' && meta !== null ? (meta as BitAgentTaskMeta) : undefined;
}

const STATE: Record<TaskState, string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'success',
  failed: 'failed',
  cancelled: 'cancelled',
};

export const stateOf = (task: Task): string => STATE[task.state];

/** Users made from a bit-Agent `user_id` have the internal `tenant/id` username; show them by their id. */
function displayName(principal: Principal): string {
  return principal.username === `${principal.tenant}/${principal.userId}` ? principal.userId : principal.username;
}

/**
 * `GET /task/detail/{id}` with every field of the document. Tasks made
 * through another API of the gateway (same user, same engine) show too:
 * their executor type comes from where they run, their inputs from their
 * text. `duration` counts from creation to the end, as the document's
 * example does (created 10:00:00, ended 10:02:25, duration 145).
 */
export function taskDetail(task: Task, principal: Principal, abilityName: string, outputs: unknown) {
  const meta = metaOf(task);
  return {
    id: task.id,
    ability_id: task.agentId,
    ability_name: meta?.ability.name ?? abilityName,
    executor_type: meta?.executor_type ?? (task.executor === 'remote' ? 'client' : 'cloud'),
    executor_id: meta?.executor_id ?? null,
    state: stateOf(task),
    error_message: task.error ?? null,
    created_by: { id: task.userId, name: displayName(principal) },
    created_at: isoTime(task.createdAt),
    started_at: isoTime(task.startedAt),
    ended_at: isoTime(task.finishedAt),
    duration: durationSeconds(task.createdAt, task.finishedAt),
    inputs: task.input.values ?? { text: task.input.text },
    outputs: task.state === 'succeeded' ? (outputs ?? null) : null,
    extensions: meta?.extensions ?? {},
    aux_infos: {
      ability: meta?.ability ?? { id: task.agentId, name: abilityName, description: null },
      llm_registry: task.model,
      session_id: task.conversationId,
      usage: task.usage
        ? { prompt_tokens: task.usage.promptTokens, completion_tokens: task.usage.completionTokens, total_tokens: task.usage.totalTokens }
        : null,
    },
  };
}
