import { assertNever, type TaskEvent } from '../../engine/events.js';
import type { Task } from '../../engine/records.js';
import type { ViewFold, ViewSpec } from '../../stream/task-view.js';
import type { TaskViews } from '../../stream/task-views.js';
import type { ViewRegistry } from '../../stream/view-registry.js';
import { pythonJson } from './stream-json.js';
import { messageLine, streamEndLine, toolProgressLine } from './stream-lines.js';

/** A line of the stream, or its end (whose count is known only once its position is). */
export type SageFrame = { line: Record<string, unknown> } | { end: true; ts: number; sessionId: string };

/** What a Sage run was started with, kept in `task.meta.sage` so every instance renders the same lines. */
export interface SageRunMeta {
  agentName?: string;
  agentType?: string;
}

export function sageMetaOf(task: Task): SageRunMeta {
  const meta = task.meta.sage;
  return meta && typeof meta === 'object' ? (meta as SageRunMeta) : {};
}

const resultText = (result: unknown): string => (typeof result === 'string' ? result : JSON.stringify(result ?? null));

/**
 * A task's log as Sage NDJSON lines: message deltas, reasoning deltas, tool
 * calls (OpenAI shape, one call per line), tool results, token usage, error
 * lines, then `stream_end`. `message.completed` adds nothing: clients build
 * a message from its deltas.
 */
class SageFold implements ViewFold<SageFrame> {
  private readonly sessionId: string;
  private readonly meta: SageRunMeta;
  private errorSent = false;
  private usageCount = 0;

  constructor(
    private readonly task: Task,
    private readonly withProgress: boolean,
  ) {
    this.sessionId = task.conversationId;
    this.meta = sageMetaOf(task);
  }

  private line(fields: Omit<Parameters<typeof messageLine>[0], 'session_id' | 'agent_name' | 'agent_type'>): SageFrame {
    return { line: messageLine({ ...fields, agent_name: this.meta.agentName, agent_type: this.meta.agentType, session_id: this.sessionId }) };
  }

  apply(event: TaskEvent): SageFrame[] {
    const ts = event.ts;
    switch (event.type) {
      case 'message.delta':
        return event.data.text ? [this.line({ role: 'assistant', content: event.data.text, message_id: event.data.messageId, type: 'assistant_text', ts })] : [];
      case 'reasoning.delta':
        return event.data.text
          ? [this.line({ role: 'assistant', reasoning_content: event.data.text, message_id: event.data.reasoningId, type: 'reasoning_content', ts })]
          : [];
      case 'input.added':
        // Guidance the run took in, shown as the user message it now is (its metadata names the guidance).
        return [this.line({ role: 'user', content: event.data.text, message_id: event.data.messageId, type: 'user_input', ts, metadata: event.data.meta })];
      case 'tool.started': {
        const args = typeof event.data.arguments === 'string' ? event.data.arguments : JSON.stringify(event.data.arguments ?? {});
        const call = { index: 0, id: event.data.callId, type: 'function' as const, function: { name: event.data.name, arguments: args } };
        return [this.line({ role: 'assistant', tool_calls: [call], message_id: `call_msg_${event.data.callId}`, type: 'tool_call', ts })];
      }
      case 'tool.progress':
        return this.withProgress ? [{ line: toolProgressLine(this.sessionId, event.data.callId, event.data.text, ts) }] : [];
      case 'tool.completed':
        return [
          this.line({
            role: 'tool',
            content: resultText(event.data.result),
            message_id: `result_msg_${event.data.callId}`,
            tool_call_id: event.data.callId,
            type: 'tool_call_result',
            ts,
            metadata: { tool_name: event.data.name, status: event.data.status },
          }),
        ];
      case 'usage': {
        const u = event.data;
        const usage = { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.totalTokens };
        return [this.line({ role: 'assistant', message_id: `usage_${this.task.id}_${this.usageCount++}`, type: 'token_usage', ts, metadata: { token_usage: usage } })];
      }
      case 'error':
        this.errorSent = true;
        return [this.errorLine(event.data.message, ts)];
      case 'task.finished': {
        const frames: SageFrame[] = [];
        if (event.data.state === 'failed' && !this.errorSent) frames.push(this.errorLine(event.data.error ?? 'run failed', ts));
        frames.push({ end: true, ts, sessionId: this.sessionId });
        return frames;
      }
      case 'task.started':
      case 'message.started':
      case 'message.completed':
      case 'reasoning.started':
      case 'reasoning.completed':
      case 'card':
      case 'file.created':
        return [];
      default:
        return assertNever(event);
    }
  }

  private errorLine(message: string, ts: number): SageFrame {
    return this.line({ role: 'assistant', content: message, message_id: `error_${this.task.id}`, type: 'error', ts });
  }
}

function spec(withProgress: boolean): ViewSpec<SageFrame, SageFold, string> {
  return {
    start: (task) => new SageFold(task, withProgress),
    // A line's position is its index for `last_index`; stream_end counts the lines before it.
    render: (frame, position) =>
      `${pythonJson('end' in frame ? streamEndLine(frame.sessionId, frame.ts, position) : frame.line)}\n`,
  };
}

export type SageViews = TaskViews<SageFrame, SageFold, string>;

export interface SageStreamViews {
  /** chat, web-stream and resume: without tool_progress lines (their positions are what `last_index` counts). */
  chat: SageViews;
  /** `/api/stream`: every line, tool_progress included. */
  full: SageViews;
}

const made = new WeakMap<ViewRegistry, SageStreamViews>();

/** This instance's Sage views, made once per registry (the handler files share them). */
export function sageStreamViews(views: ViewRegistry): SageStreamViews {
  let found = made.get(views);
  if (!found) made.set(views, (found = { chat: views.create(spec(false)), full: views.create(spec(true)) }));
  return found;
}
