import { assertNever, type TaskEvent } from '../../engine/events.js';
import type { Principal, Task } from '../../engine/records.js';
import { isFinal } from '../../engine/task-finish.js';
import type { ViewFold, ViewSpec } from '../../stream/task-view.js';
import type { TaskViews } from '../../stream/task-views.js';
import type { ViewRegistry } from '../../stream/view-registry.js';

/**
 * An execution's log as the OpenBee web client reads it: one stream-json
 * line (a coding agent's `--output-format stream-json`) per step, each
 * ending in "\n". The client polls every 2 s while the execution runs and
 * keeps only the bytes beyond those it already has, so the log must only
 * ever grow: it is a task view (see task-view.ts), a pure function of the
 * event log whose frames are appended, never rewritten, and which renders
 * the same bytes on every instance. (A log trimmed by `engine.event_log_cap`
 * starts from what it kept; at 10 000 events that is a pathological run.)
 *
 * What becomes a line:
 * - `task.started`: a `system` line (the client skips those; it tells a reader of the raw log the model);
 * - `message.completed`: an assistant `text` block (deltas are not logged: the line is whole or absent);
 * - `tool.started` / `tool.completed`: an assistant `tool_use`, then a user `tool_result`;
 * - `card`, `file.created`: `system` lines (skipped by the client, kept for anyone reading the raw log);
 * - `task.finished`: the closing `result` line (success with the answer, error with the reason).
 * Reasoning, tool progress, usage and the failure's `error` event (repeated in the result line) are not logged.
 */
export class ExecutionLogFold implements ViewFold<string> {
  /** The text of the last completed answer: a chat task's result (its outputs are that text). */
  answer: string | undefined;

  apply(event: TaskEvent): string[] {
    switch (event.type) {
      case 'task.started':
        return [line({ type: 'system', subtype: 'init', model: event.data.model })];
      case 'message.completed':
        this.answer = event.data.text;
        return event.data.text ? [assistant({ type: 'text', text: event.data.text })] : [];
      case 'tool.started': {
        const { callId, name, arguments: args } = event.data;
        return [assistant({ type: 'tool_use', id: callId, name, input: toolInput(args) })];
      }
      case 'tool.completed': {
        const { callId, status, result } = event.data;
        const content = status === 'cancelled' ? 'cancelled' : textOf(result);
        return [line({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: callId, content, is_error: status !== 'ok' }] } })];
      }
      case 'card':
        return [line({ type: 'system', subtype: 'card', kind: event.data.kind, content: event.data.content })];
      case 'file.created':
        return [line({ type: 'system', subtype: 'file_created', ...event.data })];
      case 'task.finished': {
        const { state, outputs, error } = event.data;
        const success = state === 'succeeded';
        const result = success ? (outputText(outputs) ?? this.answer ?? '') : failureText({ state, error });
        return [line({ type: 'result', subtype: success ? 'success' : 'error', is_error: !success, result })];
      }
      // Guidance reaches the log's reader as the assistant's next answer; the input itself has no line there.
      case 'input.added':
      case 'message.started':
      case 'message.delta':
      case 'reasoning.started':
      case 'reasoning.delta':
      case 'reasoning.completed':
      case 'tool.progress':
      case 'usage':
      case 'error':
        return [];
      default:
        return assertNever(event);
    }
  }
}

/** The `result` of an execution that did not succeed: its error, or why it was cancelled. */
export function failureText(task: Pick<Task, 'state' | 'error'>): string {
  if (task.state === 'cancelled') return task.error ? `cancelled: ${task.error}` : 'cancelled by request';
  return task.error ?? 'task failed';
}

/** Structured outputs (ability-style tasks) as text; `undefined` for chat tasks, whose answer is their text. */
export function outputText(outputs: unknown): string | undefined {
  if (outputs === undefined || outputs === null) return undefined;
  return typeof outputs === 'string' ? outputs : JSON.stringify(outputs);
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;
const assistant = (block: Record<string, unknown>): string => line({ type: 'assistant', message: { content: [block] } });

/** stream-json's `input` is an object; arguments that are not one (undecodable JSON text) go under `arguments`. */
function toolInput(args: unknown): Record<string, unknown> {
  return typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : { arguments: args };
}

const textOf = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

/** Each frame is already its line: the position adds nothing to the text. */
const LOG_VIEW: ViewSpec<string, ExecutionLogFold, string> = {
  start: () => new ExecutionLogFold(),
  render: (frame) => frame,
};

export type ExecutionLogViews = TaskViews<string, ExecutionLogFold, string>;

export function executionLogViews(views: ViewRegistry): ExecutionLogViews {
  return views.create(LOG_VIEW);
}

/** The whole log as it stands, and whether it is final (cacheable: it will never change again). */
export async function executionLog(views: ExecutionLogViews, principal: Principal, taskId: string): Promise<{ text: string; finished: boolean }> {
  const { task, view, logClosed } = await views.current(principal, taskId);
  // A log gone before its record (expired) will not grow either, once the record says the task ended.
  const finished = view.finished || (logClosed && isFinal(task));
  return { text: view.text(0, view.size), finished };
}
