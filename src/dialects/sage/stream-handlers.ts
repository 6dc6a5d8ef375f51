import type Koa from 'koa';
import type { Principal } from '../../engine/records.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam, queryParam } from '../../http/request-params.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';
import { activeSessions } from './stream-active.js';
import { readStreamRequest } from './stream-request.js';
import { assertStreamRoom, emptyStream, latestTask, startRun, streamTaskLines } from './stream-run.js';
import { sageStreamViews, type SageViews } from './stream-view.js';

/** Most lines a `last_index` may name (far beyond any run). */
const MAX_INDEX = 1e9;

function lastIndex(ctx: Koa.Context): number {
  const raw = queryParam(ctx, 'last_index');
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > MAX_INDEX) {
    throw sageError('invalid_argument', { 'zh-CN': 'last_index 必须是非负整数', en: 'last_index must be a non-negative integer' }, { field: 'last_index' });
  }
  return Number(raw);
}

/**
 * The chat streams: `/api/chat` (agent_id required), `/api/stream` (every
 * line, tool_progress included) and `/api/web-stream` (its route's
 * `interrupt` policy stops a run still going in the session), each a new run
 * streamed as NDJSON from its first line; `/api/stream/resume/{id}` streams
 * the session's latest run from `last_index`.
 */
export function streamHandlers(c: SageContext): Record<string, Handler> {
  const views = sageStreamViews(c.views);
  const run = (lines: SageViews, agentRequired: boolean): Handler =>
    asUser(async (ctx, principal: Principal) => {
      const settings = readStreamRequest(ctx.request.body);
      assertStreamRoom(c, principal);
      const task = await startRun(ctx, c, principal, settings, { text: settings.text }, { agentRequired });
      return streamTaskLines(ctx, c, lines, principal, task, 0);
    });
  return {
    chat: run(views.chat, true),
    stream: run(views.full, false),
    webStream: run(views.chat, false),
    streamResume: asUser(async (ctx, principal) => {
      const sessionId = pathParam(ctx, 'session_id');
      const from = lastIndex(ctx);
      // Another user's session is "not found", like one that never existed.
      await c.engine.conversations.get(principal, sessionId);
      const task = await latestTask(c, principal, sessionId);
      if (!task) return emptyStream(ctx, c, principal, sessionId);
      return streamTaskLines(ctx, c, views.chat, principal, task, from);
    }),
    activeSessions: asUser((ctx, principal) => activeSessions(ctx, c, principal)),
  };
}
