import type Koa from 'koa';
import { EngineError, invalid, quote } from '../../engine/errors.js';
import type { Principal, Task } from '../../engine/records.js';
import type { TaskScope } from '../../engine/task-indexes.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam, queryParam } from '../../http/request-params.js';
import type { OpenBeeContext } from './context.js';
import { executionLog, executionLogViews, outputText, type ExecutionLogViews } from './execution-logs.js';
import { executionOf, type Execution } from './execution-view.js';

/**
 * The document's lists are bare arrays with no paging: without `page` or
 * `page_size` a list is the newest executions, at most this many (older
 * ones are reached by paging).
 */
export const PLAIN_LIST_MAX = 200;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * Executions are the engine's tasks, the same ones every other API of the
 * gateway shows the same user: `GET /api/executions[/:id[/logs]]`, and the
 * executions of one worker (an agent) or one session (a conversation).
 * Lists are newest first.
 */
export function executionHandlers(c: OpenBeeContext): Record<string, Handler> {
  const { engine } = c;
  const logs = executionLogViews(c.views);
  const list = (scopeOf: (ctx: Koa.Context, principal: Principal) => Promise<TaskScope>) =>
    asUser(async (ctx, principal) => listExecutions(c, logs, principal, ctx, await scopeOf(ctx, principal)));
  return {
    executionList: list(async () => ({})),
    workerExecutions: list(async (ctx, principal) => {
      // An unknown worker, or one the caller may not use, is a 404 ("worker not found").
      const agent = await engine.directory.getAgent(principal, pathParam(ctx, 'id'));
      return { agentId: agent.id };
    }),
    // The engine checks the conversation is the caller's (else "session not found").
    sessionExecutions: list(async (ctx) => ({ conversationId: pathParam(ctx, 'sessionId') })),
    executionGet: asUser(async (ctx, principal) => {
      const task = await engine.tasks.get(principal, pathParam(ctx, 'id'));
      return (await executionsOf(c, logs, principal, [task]))[0];
    }),
    executionLogs: asUser(async (ctx, principal) => {
      const { text, finished } = await executionLog(logs, principal, pathParam(ctx, 'id'));
      ctx.type = 'text/plain; charset=utf-8';
      // A finished log never changes again; a running one must be fetched fresh on every poll.
      ctx.set('Cache-Control', finished ? 'public, max-age=3600' : 'no-cache');
      ctx.body = text;
      return undefined;
    }),
  };
}

/** The plain array (at most `PLAIN_LIST_MAX`), or with `page`/`page_size` one page `{items, total, page, page_size}`. */
async function listExecutions(c: OpenBeeContext, logs: ExecutionLogViews, principal: Principal, ctx: Koa.Context, scope: TaskScope) {
  const paging = pagingOf(ctx);
  const window = paging ? { offset: (paging.page - 1) * paging.page_size, limit: paging.page_size } : { offset: 0, limit: PLAIN_LIST_MAX };
  const { items, total } = await c.engine.tasks.list(principal, window, scope);
  const executions = await executionsOf(c, logs, principal, items);
  return paging ? { items: executions, total, ...paging } : executions;
}

/** `page` (from 1) and `page_size` (default 20, at most 100: larger asks get 100), or undefined when neither is given. */
function pagingOf(ctx: Koa.Context): { page: number; page_size: number } | undefined {
  const page = queryParam(ctx, 'page');
  const size = queryParam(ctx, 'page_size');
  if (page === undefined && size === undefined) return undefined;
  return {
    page: page === undefined ? 1 : positive(page, 'page'),
    page_size: size === undefined ? DEFAULT_PAGE_SIZE : Math.min(MAX_PAGE_SIZE, positive(size, 'page_size')),
  };
}

function positive(value: string, field: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(`${field} must be a positive integer, got ${quote(value)}`, { field });
  return n;
}

/**
 * Tasks as executions. Each worker's name is looked up once per request,
 * however many of its tasks are listed; a worker gone (or no longer
 * visible) has no name. A completed chat task's result is the last answer
 * of its log, read through the shared log views (one store read per task
 * once a view is built; views of finished tasks never change).
 */
async function executionsOf(c: OpenBeeContext, logs: ExecutionLogViews, principal: Principal, tasks: Task[]): Promise<Execution[]> {
  const names = new Map<string, Promise<string | null>>();
  const nameOf = (agentId: string) => {
    let name = names.get(agentId);
    if (!name) {
      name = c.engine.directory.getAgent(principal, agentId).then((agent) => agent.name, missingAs(null));
      names.set(agentId, name);
    }
    return name;
  };
  const answerOf = async (task: Task): Promise<string | null> => {
    if (task.state !== 'succeeded') return null;
    const outputs = outputText(task.outputs);
    if (outputs !== undefined) return outputs;
    return logs.current(principal, task.id).then(({ view }) => view.fold.answer ?? null, missingAs(null));
  };
  return Promise.all(tasks.map(async (task) => executionOf(task, await nameOf(task.agentId), await answerOf(task))));
}

/** A "not found" (deleted meanwhile) reads as `fallback`; any other error stays an error. */
function missingAs<T>(fallback: T): (err: unknown) => T {
  return (err) => {
    if (err instanceof EngineError && err.code === 'not_found') return fallback;
    throw err;
  };
}
