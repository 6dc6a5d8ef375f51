import type Koa from 'koa';
import { userKey } from '../../engine/directory.js';
import { EngineError } from '../../engine/errors.js';
import type { Conversation, Principal, Task } from '../../engine/records.js';
import { routeOf } from '../../http/dialect.js';
import { NdjsonWriter } from '../../stream/ndjson.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';
import { pythonJson } from './stream-json.js';
import { streamEndLine } from './stream-lines.js';
import type { StreamSettings } from './stream-request.js';
import type { SageViews } from './stream-view.js';

const AGENT_REQUIRED = { 'zh-CN': 'agent_id 不能为空', en: 'agent_id is required' };

async function findConversation(c: SageContext, principal: Principal, id: string): Promise<Conversation | undefined> {
  try {
    return await c.engine.conversations.get(principal, id);
  } catch (err) {
    if (err instanceof EngineError && err.code === 'not_found') return undefined;
    throw err;
  }
}

/**
 * Starts the run a chat request asks for: in the conversation its client
 * named (a new id starts that conversation, as the web UI's `session_<ms>`
 * ids expect), with the agent it named, else the conversation's, else the
 * configured default; the request's overrides apply to this run only.
 */
export async function startRun(
  ctx: Koa.Context,
  c: SageContext,
  principal: Principal,
  settings: StreamSettings,
  options: { agentRequired: boolean },
): Promise<Task> {
  if (options.agentRequired && !settings.agentId) throw sageError('invalid_argument', AGENT_REQUIRED, { field: 'agent_id' });
  const existing = settings.sessionId ? await findConversation(c, principal, settings.sessionId) : undefined;
  const agentId = settings.agentId ?? existing?.agentId ?? c.options.default_agent;
  if (!agentId) throw sageError('invalid_argument', AGENT_REQUIRED, { field: 'agent_id' });
  const agent = await c.engine.directory.getAgent(principal, agentId);
  const conversation =
    existing ??
    (settings.sessionId
      ? (await c.engine.conversations.getOrCreate(principal, { id: settings.sessionId, agentId })).conversation
      : await c.engine.conversations.create(principal, { agentId }));
  return c.engine.tasks.create(principal, {
    agentId,
    conversationId: conversation.id,
    input: { text: settings.text },
    model: settings.model,
    reasoning: settings.reasoning,
    maxLoops: settings.maxLoops,
    concurrency: routeOf(ctx).concurrency,
    meta: {
      dialect: 'sage',
      sage: {
        agentName: settings.agentName ?? agent.name,
        agentType: settings.agentMode ?? 'simple',
        ...(settings.plan !== undefined ? { plan: settings.plan } : {}),
        ...(settings.thinkingLevel ? { thinkingLevel: settings.thinkingLevel } : {}),
      },
    },
  });
}

/**
 * Streams a task's NDJSON lines from line `from`: what was said so far, then
 * live, ending after `stream_end`. A client that already has every line of a
 * finished run (or names a line the run does not have) gets a
 * `stream_end` with `resume_fallback: true` instead, so it stops waiting.
 */
export async function streamTaskLines(
  ctx: Koa.Context,
  c: SageContext,
  views: SageViews,
  principal: Principal,
  task: Task,
  from: number,
): Promise<undefined> {
  const view = await views.forStream(principal, task.id, from);
  const out = new NdjsonWriter(ctx, c.streams, pythonJson, { owner: userKey(principal.tenant, principal.userId) });
  const fallback = () => out.end(streamEndLine(task.conversationId, Date.now(), view.size, { resume_fallback: true }));
  if (view.finished && from >= view.size) await fallback();
  else if (!(await views.attach(principal, view, from, out.writer))) await fallback();
  return undefined;
}

/** The stream of a conversation that has had no run yet: just its end. */
export async function emptyStream(ctx: Koa.Context, c: SageContext, principal: Principal, sessionId: string): Promise<undefined> {
  const out = new NdjsonWriter(ctx, c.streams, pythonJson, { owner: userKey(principal.tenant, principal.userId) });
  await out.end(streamEndLine(sessionId, Date.now(), 0, { resume_fallback: true }));
  return undefined;
}

/** The conversation's latest run, if it has had one (lines count per run: see stream-conversation-handlers.ts). */
export async function latestTask(c: SageContext, principal: Principal, conversationId: string): Promise<Task | undefined> {
  const { items } = await c.engine.tasks.list(principal, { offset: 0, limit: 1 }, { conversationId });
  return items[0];
}
