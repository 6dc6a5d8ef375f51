import { assertNever, type TaskEvent } from '../../engine/events.js';

/**
 * The canonical event log seen as Agents API v1 events, with the data shapes
 * the API's clients read (the web client's WebSocket vocabulary).
 *
 * One canonical event becomes a group of zero or more v1 events. Their `idx`
 * is `offset × IDX_STRIDE + position in the group`, so it is unique and
 * increasing, and any `from` a client sends back (`next_offset`, the last
 * idx + 1) names an exact place in the canonical log without the server
 * keeping any per-client state: `from ÷ IDX_STRIDE` is the canonical offset,
 * the remainder the number of that event's group already delivered. Numbers
 * are therefore not consecutive; clients follow `next_offset`, as the API
 * says, and never count events.
 */
export const IDX_STRIDE = 4;

export interface V1Event {
  type: string;
  data: Record<string, unknown>;
}

export interface MappingContext {
  /** When the task began running (ms since epoch): `elapsed` of text chunks counts from here. */
  startedAt: number;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export function toV1Events(event: TaskEvent, ctx: MappingContext): V1Event[] {
  switch (event.type) {
    case 'task.started':
      // One task is one AI reply in this API's model of a conversation.
      return [{ type: 'ai_message_start', data: {} }];
    case 'reasoning.started':
      return [{ type: 'thinking_start', data: {} }];
    case 'reasoning.delta':
      return [{ type: 'thinking_chunk', data: { content: event.data.text } }];
    case 'reasoning.completed':
      return [{ type: 'thinking_end', data: { full_content: event.data.text } }];
    case 'message.started':
      return [{ type: 'text_start', data: {} }];
    case 'message.delta':
      return [
        {
          type: 'text_chunk',
          data: {
            content: event.data.text,
            // The chunk's place in the task: the same number as its idx, so increasing and stable across polls.
            index: event.offset * IDX_STRIDE,
            elapsed: seconds(Math.max(0, event.ts - ctx.startedAt)),
          },
        },
      ];
    case 'message.completed':
      return [{ type: 'text_end', data: { full_content: event.data.text } }];
    case 'tool.started': {
      // The canonical log reports a call once its arguments are complete, so the
      // preparing and intent steps the web client shows are reported together with the start.
      const { callId: id, name, arguments: args } = event.data;
      const intent = intentOf(name, args);
      return [
        { type: 'tool_preparing', data: { id, name, message: `准备调用 ${name}`, intent } },
        { type: 'tool_intent', data: { id, name, intent } },
        { type: 'tool_start', data: { id, name, arguments: args, preparing_id: id } },
      ];
    }
    case 'tool.progress': {
      const { callId: id, name, text } = event.data;
      return [{ type: 'tool_progress', data: { id, preparing_id: id, name, content: text } }];
    }
    case 'tool.completed': {
      const { callId: id, name, status, result } = event.data;
      const data: Record<string, unknown> = { id, preparing_id: id, name, status: ACTION_STATUS[status], result };
      if (status === 'error') data.message = typeof result === 'string' ? result : '工具执行失败';
      if (status === 'cancelled') data.message = '工具调用已取消';
      return [{ type: 'update_action', data }];
    }
    case 'usage':
      // No v1 counterpart; the totals reach the client in task_complete.
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
