import type { TaskState } from '../../engine/events.js';
import type { Task } from '../../engine/records.js';
import { failureText } from './execution-logs.js';

export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed';

/** The document has no cancelled status: a cancelled execution is failed, its `result` says why. */
const STATUS: Record<TaskState, ExecutionStatus> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'completed',
  failed: 'failed',
  cancelled: 'failed',
};

/** Every field of an execution the OpenBee web client reads (WIRE-NOTES), times in ms. */
export interface Execution {
  id: string;
  worker_id: string;
  /** The worker's name; null once the worker is gone (or no longer the caller's to see). */
  worker_name: string | null;
  session_id: string;
  trigger_input: string;
  status: ExecutionStatus;
  result: string | null;
  /** Always null: the log is served by `GET /api/executions/:id/logs`, not inlined. */
  logs: null;
  /** Always null: an execution is a task of the engine, not an OS process. */
  ai_process_pid: null;
  /**
   * Where the log is: the logs route's path as the document writes it
   * (relative to the API's host root, so behind this gateway's `/openbee`
   * prefix a client prepends its own API base, as it does for every path).
   */
  log_path: string;
  /** When it started; one still waiting shows when it was queued (the document has no created_at). */
  started_at: number;
  completed_at: number | null;
}

/**
 * An execution as OpenBee shows it. `answer` is the final text of a chat
 * task (read from its log by the caller): `result` is that text for a
 * completed execution (or its structured outputs as JSON), the error or
 * the cancel reason for a failed one, null until it ends.
 */
export function executionOf(task: Task, workerName: string | null, answer: string | null): Execution {
  return {
    id: task.id,
    worker_id: task.agentId,
    worker_name: workerName,
    session_id: task.conversationId,
    trigger_input: task.input.text,
    status: STATUS[task.state],
    result: resultOf(task, answer),
    logs: null,
    ai_process_pid: null,
    log_path: `/api/executions/${encodeURIComponent(task.id)}/logs`,
    started_at: task.startedAt ?? task.createdAt,
    completed_at: task.finishedAt ?? null,
  };
}

function resultOf(task: Task, answer: string | null): string | null {
  switch (task.state) {
    case 'pending':
    case 'running':
      return null;
    case 'succeeded':
      return answer;
    case 'failed':
    case 'cancelled':
      return failureText(task);
  }
}
