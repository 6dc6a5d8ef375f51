import type Koa from 'koa';
import { userKey } from '../../engine/directory.js';
import { defaultAgentOf } from '../default-agent.js';
import { EngineError } from '../../engine/errors.js';
import type { Agent, Conversation, Principal, RunOverrides, Task, TaskInput } from '../../engine/records.js';
import { routeOf } from '../../http/dialect.js';
import { NdjsonWriter } from '../../stream/ndjson.js';
import { sageSettingsOf } from './agent-dto.js';
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

/** What a run's overrides make of its agent for this run: its saved `systemContext` under the request's. */
function overridesOf(agent: Agent, settings: RunSettings): RunOverrides | undefined {
  const saved = sageSettingsOf(agent).systemContext;
  const context = { ...(saved && typeof saved === 'object' ? (saved as Record<string, unknown>) : {}), ...settings.systemContext };
  const overrides: RunOverrides = {
    ...(settings.systemPrefix !== undefined ? { systemPrompt: settings.systemPrefix } : {}),
    ...(Object.keys(context).length ? { context } : {}),
    ...(settings.tools ? { tools: settings.tools } : {}),
    ...(settings.sampling ? { sampling: settings.sampling } : {}),
  };
  return Object.keys(overrides).length ? overrides : undefined;
}

export type RunSettings = Omit<StreamSettings, 'text'>;

/**
 * Starts the run a chat request asks for: in the conversation its client
 * named (a new id starts that conversation, as the web UI's `session_<ms>`
 * ids expect), with the agent it named, else the conversation's, else the
 * configured default; the request's overrides apply to this run only.
 * `input` is the user's new message, or a rerun of the last one.
 */
export async function startRun(
  ctx: Koa.Context,
  c: SageContext,
  principal: Principal,
  settings: RunSettings,
  input: TaskInput,
  options: { agentRequired: boolean },
): Promise<Task> {
  if (options.agentRequired && !settings.agentId) throw sageError('invalid_argument', AGENT_REQUIRED, { field: 'agent_id' });
  const existing = settings.sessionId ? await findConversation(c, principal, settings.sessionId) : undefined;
  const agentId = settings.agentId ?? existing?.agentId ?? (await defaultAgentOf(c.engine, c.options.default_agent, principal))?.id;
  if (!agentId) throw sageError('invalid_argument', AGENT_REQUIRED, { field: 'agent_id' });
  const agent = await c.engine.directory.getAgent(principal, agentId);
  const conversation =
    existing ??
    (settings.sessionId
      ? (await c.engine.conversations.getOrCreate(principal, { id: settings.sessionId, agentId })).conversation
      : await c.engine.conversations.create(principal, { agentId }));
  const overrides = overridesOf(agent, settings);
  return c.engine.tasks.create(principal, {
    agentId,
    conversationId: conversation.id,
    input,
    model: settings.model,
    reasoning: settings.reasoning,
    maxLoops: settings.maxLoops,
    concurrency: routeOf(ctx).concurrency,
    ...(overrides ? { overrides } : {}),
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

/** A Sage NDJSON stream of the user's: Python-style JSON lines, Sage's heartbeat interval, counted against their open streams. */
export function sageNdjson(ctx: Koa.Context, c: SageContext, principal: Principal): NdjsonWriter {
  return new NdjsonWriter(ctx, c.streams, pythonJson, { owner: userKey(principal.tenant, principal.userId), heartbeatMs: c.options.heartbeat_seconds * 1000 });
}

/** Refuses a new run before it starts when its user has every stream they may open: a run nobody can watch would still cost a model call. */
export function assertStreamRoom(c: SageContext, principal: Principal): void {
  if (c.streams.countOf(userKey(principal.tenant, principal.userId)) >= c.streams.options.perUser) {
    throw sageError('rate_limited', { 'zh-CN': '打开的流过多，请稍后再试', en: 'Too many open streams, please try again later' });
  }
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
  const out = sageNdjson(ctx, c, principal);
  const fallback = () => out.end(streamEndLine(task.conversationId, Date.now(), view.size, { resume_fallback: true }));
  if (view.finished && from >= view.size) await fallback();
  else if (!(await views.attach(principal, view, from, out.writer))) await fallback();
  return undefined;
}

/** The stream of a conversation that has had no run yet: just its end. */
export async function emptyStream(ctx: Koa.Context, c: SageContext, principal: Principal, sessionId: string): Promise<undefined> {
  const out = sageNdjson(ctx, c, principal);
  await out.end(streamEndLine(sessionId, Date.now(), 0, { resume_fallback: true }));
  return undefined;
}

/** The conversation's latest run, if it has had one (lines count per run: see stream-conversation-handlers.ts). */
export async function latestTask(c: SageContext, principal: Principal, conversationId: string): Promise<Task | undefined> {
  const { items } = await c.engine.tasks.list(principal, { offset: 0, limit: 1 }, { conversationId });
  return items[0];
}
