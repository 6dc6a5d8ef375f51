import { messageText } from '../../engine/message-text.js';
import type { Message, Principal, Task } from '../../engine/records.js';
import { isFinal } from '../../engine/task-finish.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam } from '../../http/request-params.js';
import type { SageContext } from './context.js';
import { AgentNames, conversationItem, roleCounts } from './conversation-dto.js';
import { messageLine } from './stream-lines.js';
import { latestTask } from './stream-run.js';
import { sageStreamViews, type SageViews } from './stream-view.js';

/** Most messages one snapshot holds (the oldest first); far beyond any chat's length. */
const HISTORY_LIMIT = 10_000;
const PAGE = 1000;

async function allMessages(c: SageContext, principal: Principal, sessionId: string): Promise<Message[]> {
  const out: Message[] = [];
  for (let offset = 0; out.length < HISTORY_LIMIT; offset += PAGE) {
    const page = await c.engine.conversations.messages(principal, sessionId, offset, PAGE);
    out.push(...page);
    if (page.length < PAGE) break;
  }
  return out;
}

function typeOf(m: Message): string {
  if (m.role === 'user') return 'user_input';
  if (m.role === 'tool') return 'tool_call_result';
  return m.toolCalls?.length ? 'tool_call' : 'final_answer';
}

/** A stored message in the shape of a stream line, so the UI merges both the same way. */
function messageDto(m: Message, sessionId: string): Record<string, unknown> {
  return messageLine({
    role: m.role,
    content: messageText(m.content),
    reasoning_content: m.reasoning || undefined,
    tool_calls: m.toolCalls?.map((call, index) => ({ index, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    message_id: m.id,
    tool_call_id: m.toolCallId,
    type: typeOf(m),
    ts: m.createdAt,
    metadata: m.meta,
    session_id: sessionId,
  });
}

/** Messages a client marked as not for the chat view (the web UI's own rule). */
const hidden = (m: Message): boolean => Boolean(m.meta?.hidden_from_chat || m.meta?.hide_from_chat) || m.meta?.sse_visible === false;

/**
 * Where a client that has this snapshot resumes the latest run's stream.
 * Line indexes count the lines of the conversation's latest run only (as the
 * public server does): each run's stream starts again at 0. The engine keeps
 * a run's answer as messages only when the run ends, so while a run goes on
 * the snapshot holds its user message and nothing it said: the client
 * resumes from 0 and gets every line of it once. Once the run's messages are
 * in the snapshot, the index is past every line it has so far (a resume then
 * gets only what remains: its stream_end, or the fallback one).
 */
async function nextStreamIndex(views: SageViews, principal: Principal, task: Task | undefined, messages: Message[]): Promise<number> {
  if (!task) return 0;
  const answered = messages.some((m) => m.taskId === task.id && m.role !== 'user');
  if (!isFinal(task) && !answered) return 0;
  return (await views.current(principal, task.id)).view.size;
}

/**
 * A conversation as its messages route shows it, read as `principal` (its
 * owner, or the owner of a shared one): the shown messages in the shape of
 * stream lines, the resume index of its latest run, and its listing entry.
 */
export async function conversationSnapshot(c: SageContext, views: SageViews, principal: Principal, sessionId: string) {
  const conversation = await c.engine.conversations.get(principal, sessionId);
  // The run is read before the messages: a run that ends in between shows its answer and an index past it.
  const task = await latestTask(c, principal, sessionId);
  const messages = await allMessages(c, principal, sessionId);
  const index = await nextStreamIndex(views, principal, task, messages);
  const agentName = await new AgentNames(c.engine, principal).of(conversation.agentId);
  const shown = messages.filter((m) => !hidden(m));
  return {
    conversation_id: sessionId,
    messages: shown.map((m) => messageDto(m, sessionId)),
    message_count: shown.length,
    next_stream_index: index,
    conversation_info: conversationItem(conversation, agentName, roleCounts(messages), c.options.jaeger_url),
  };
}

/** The conversation routes that belong with the chat streams (their indexes must agree with resume). */
export function streamConversationHandlers(c: SageContext): Record<string, Handler> {
  const views = sageStreamViews(c.views).chat;
  return {
    conversationMessages: asUser((ctx, principal) => conversationSnapshot(c, views, principal, pathParam(ctx, 'session_id'))),
  };
}
