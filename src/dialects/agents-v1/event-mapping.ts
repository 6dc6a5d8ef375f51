import { assertNever, type TaskEvent } from '../../engine/events.js';
import type { Task } from '../../engine/records.js';
import type { ViewFold } from '../../stream/task-view.js';

/**
 * The canonical event log seen as Agents API v1 events, with the data shapes
 * the API's clients read (the web client's WebSocket vocabulary), counted as
 * the original server counts them: one canonical event becomes zero or more
 * v1 events, and their `idx` (their position in the view, see task-views.ts)
 * runs 0, 1, 2, … with no gaps, so a client may follow `next_offset` or
 * count the events it got. A `text_chunk`'s `index` counts the chunks of the
 * reply from 1 and its `elapsed` is the seconds since the chunk before it
 * (0 for the first); one task is one AI reply in this API's model.
 */
export interface V1Event {
  type: string;
  data: Record<string, unknown>;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export class V1Fold implements ViewFold<V1Event> {
  private chunks = 0;
  private lastChunkAt: number | undefined;
  private readonly conversationId: string;

  constructor(task: Pick<Task, 'conversationId'>) {
    this.conversationId = task.conversationId;
  }

  apply(event: TaskEvent): V1Event[] {
    switch (event.type) {
      case 'task.started':
        return [{ type: 'ai_message_start', data: {} }];
      case 'reasoning.started':
        return [{ type: 'thinking_start', data: {} }];
      case 'reasoning.delta':
        return [{ type: 'thinking_chunk', data: { content: event.data.text } }];
      case 'reasoning.completed':
        return [{ type: 'thinking_end', data: { full_content: event.data.text } }];
      case 'message.started':
        return [{ type: 'text_start', data: {} }];
      case 'message.delta': {
        const elapsed = this.lastChunkAt === undefined ? 0 : seconds(Math.max(0, event.ts - this.lastChunkAt));
        this.lastChunkAt = event.ts;
        return [{ type: 'text_chunk', data: { content: event.data.text, index: ++this.chunks, elapsed } }];
      }
      case 'message.completed':
        return [{ type: 'text_end', data: { full_content: event.data.text } }];
      case 'tool.started': {
        // The canonical log reports a call once its arguments are complete, so the
        // preparing and intent steps the web client shows are reported together with the start.
        const { callId: id, name, arguments: args } = event.data;
        const intent = intentOf(name, args);
        const conversation_id = this.conversationId;
        return [
          { type: 'tool_preparing', data: { id, name, message: `准备调用 ${name}`, intent, conversation_id } },
          { type: 'tool_intent', data: { id, name, intent, conversation_id } },
          { type: 'tool_start', data: { id, name, arguments: args, preparing_id: id, conversation_id } },
        ];
      }
      case 'tool.progress': {
        const { callId: id, name, text } = event.data;
        return [{ type: 'tool_progress', data: { id, preparing_id: id, name, content: text, conversation_id: this.conversationId } }];
      }
      case 'tool.completed': {
        const { callId: id, name, status, result } = event.data;
        const data: Record<string, unknown> = { id, preparing_id: id, name, status: ACTION_STATUS[status], result, conversation_id: this.conversationId };
        if (status === 'error') data.message = typeof result === 'string' ? result : '工具执行失败';
        if (status === 'cancelled') data.message = '工具调用已取消';
        return [{ type: 'update_action', data }];
      }
      case 'usage':
        // No v1 counterpart; the totals reach the client in task_complete.
        return [];
      case 'input.added':
        // No v1 counterpart: a poller sees the answer that follows it.
        return [];
      case 'card':
        return [{ type: 'card', data: { kind: event.data.kind, content: event.data.content } }];
      case 'file.created':
        return [{ type: 'file_created', data: { path: event.data.path, name: event.data.name, size: event.data.size } }];
      case 'error':
        return [{ type: 'error', data: { message: event.data.message, ...(event.data.code ? { code: event.data.code } : {}) } }];
      case 'task.finished':
        switch (event.data.state) {
          case 'succeeded':
            return [{ type: 'task_complete', data: completeData(event.data) }];
          case 'cancelled':
            return [{ type: 'task_stopped', data: { message: '任务已停止', reason: 'user_cancel' } }];
          case 'failed':
            // The log already holds the `error` event with the reason; the status says the rest.
            return [];
          default:
            return assertNever(event.data.state);
        }
      default:
        return assertNever(event);
    }
  }
}

const ACTION_STATUS = { ok: 'completed', error: 'failed', cancelled: 'cancelled' } as const;

/** The run's own counts, saved by the engine with its ending (never recounted from the log). */
function completeData(finished: Extract<TaskEvent, { type: 'task.finished' }>['data']): Record<string, unknown> {
  const data: Record<string, unknown> = {
    total_iterations: finished.totals?.turns ?? 1,
    total_tool_calls: finished.totals?.toolCalls ?? 0,
  };
  if (finished.usage) {
    data.usage = {
      prompt_tokens: finished.usage.promptTokens,
      completion_tokens: finished.usage.completionTokens,
      total_tokens: finished.usage.totalTokens,
    };
  }
  if (finished.outputs !== undefined) data.outputs = finished.outputs;
  return data;
}

/** A one-line summary of a call (`calculator: expression=6*7`) for clients that show what a tool is about to do. */
function intentOf(name: string, args: unknown): string {
  let text: string;
  if (typeof args === 'object' && args !== null && !Array.isArray(args)) {
    text = Object.entries(args)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(', ');
  } else {
    text = typeof args === 'string' ? args : (JSON.stringify(args) ?? '');
  }
  const line = text ? `${name}: ${text}` : name;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
