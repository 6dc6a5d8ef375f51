/**
 * The canonical event vocabulary. Every task has one append-only log of these;
 * every dialect's stream (SSE, NDJSON, polling) is a view of that log.
 *
 * Adding a member to `EventInput` must break the build of every dialect's
 * mapping (each ends its `switch` with `assertNever`), so each one decides
 * what the new event means on its wire.
 */

export type TaskState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'failed', 'cancelled']);

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens?: number;
}

export interface ToolCallRef {
  /** Stable id of the call inside the task (the model's id, or one we made). */
  callId: string;
  name: string;
}

export type EventInput =
  | { type: 'task.started'; data: { taskId: string; agentId: string; model: string } }
  | { type: 'message.started'; data: { messageId: string; role: 'assistant' } }
  /** A user message that reached the run while it went on (guidance), read before the model turn that follows. */
  | { type: 'input.added'; data: { messageId: string; text: string; meta: Record<string, unknown> } }
  | { type: 'message.delta'; data: { messageId: string; text: string } }
  | { type: 'message.completed'; data: { messageId: string; text: string } }
  | { type: 'reasoning.started'; data: { reasoningId: string } }
  | { type: 'reasoning.delta'; data: { reasoningId: string; text: string } }
  | { type: 'reasoning.completed'; data: { reasoningId: string; text: string } }
  | { type: 'tool.started'; data: ToolCallRef & { arguments: unknown } }
  | { type: 'tool.progress'; data: ToolCallRef & { text: string } }
  | {
      type: 'tool.completed';
      data: ToolCallRef & { status: 'ok' | 'error' | 'cancelled'; result: unknown };
    }
  | { type: 'usage'; data: Usage }
  | { type: 'card'; data: { kind: string; content: unknown } }
  | { type: 'file.created'; data: { path: string; name: string; size: number } }
  | { type: 'error'; data: { message: string; code?: string } }
  | {
      type: 'task.finished';
      data: {
        state: Extract<TaskState, 'succeeded' | 'failed' | 'cancelled'>;
        outputs?: unknown;
        error?: string;
        usage?: Usage;
        /** What the run did, when it ran to an answer. */
        totals?: RunTotals;
      };
    };

export type EventType = EventInput['type'];

/** An event as stored: its place in the log and when it was appended (ms since epoch). */
/** Counts of a run that reached its answer: model turns and tool calls. */
export interface RunTotals {
  turns: number;
  toolCalls: number;
}

export type TaskEvent = EventInput & { offset: number; ts: number };

/**
 * Where a reader stands in one task's log. The epoch changes when a log is
 * recreated from nothing (a store that lost its data), so a reader holding an
 * old position gets a clear error instead of silently missing events.
 */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** Compile-time exhaustiveness check for `switch` over event types. */
export function assertNever(value: never): never {
  throw new Error(`unhandled value: ${JSON.stringify(value)}`);
}
