import type Koa from 'koa';
import { userKey } from '../../engine/directory.js';
import type { Principal, Task } from '../../engine/records.js';
import { SseWriter } from '../../stream/sse.js';
import type { SageContext } from './context.js';
import { pySeconds, pythonJson } from './stream-json.js';

/** How often a snapshot is taken (a change anywhere, on any instance, shows within this). */
const POLL_MS = 1000;
/** Recent tasks looked at per snapshot: the running ones are always among the newest. */
const RECENT = 50;
/** A finished run stays in the list this long, marked completed, so a UI sees it end. */
const KEEP_FINISHED_MS = 30_000;
/** The query as shown: the start of the user's message. */
const QUERY_CHARS = 200;

const STATUS: Record<Task['state'], string> = {
  pending: 'pending',
  running: 'running',
  succeeded: 'completed',
  failed: 'error',
  cancelled: 'interrupted',
};

async function snapshot(c: SageContext, principal: Principal, now: number): Promise<Record<string, unknown>[]> {
  const { items } = await c.engine.tasks.list(principal, { offset: 0, limit: RECENT });
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const task of items) {
    // Newest first: a session shows its latest run only.
    if (task.meta.dialect !== 'sage' || seen.has(task.conversationId)) continue;
    seen.add(task.conversationId);
    const done = task.finishedAt !== undefined;
    if (done && now - task.finishedAt! > KEEP_FINISHED_MS) continue;
    out.push({
      session_id: task.conversationId,
      created_at: pySeconds(task.createdAt),
      is_completed: done,
      status: STATUS[task.state],
      last_activity: pySeconds(task.finishedAt ?? task.startedAt ?? task.createdAt),
      query: task.input.text.slice(0, QUERY_CHARS),
    });
  }
  return out;
}

/**
 * `GET /api/stream/active_sessions`: the user's chat runs as SSE
 * `data: <json list>` snapshots, one on connect and one on every change
 * (snapshots are taken from the store, so runs on other instances count).
 */
export async function activeSessions(ctx: Koa.Context, c: SageContext, principal: Principal): Promise<undefined> {
  let last = pythonJson(await snapshot(c, principal, Date.now()));
  const sse = new SseWriter(ctx, c.streams, { owner: userKey(principal.tenant, principal.userId) });
  await sse.send({ data: last });
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    snapshot(c, principal, Date.now())
      .then(async (list) => {
        const text = pythonJson(list);
        if (text === last) return;
        last = text;
        await sse.send({ data: text });
      })
      .catch((err: unknown) => c.logger.warn({ err }, 'active sessions snapshot failed'))
      .finally(() => (busy = false));
  }, POLL_MS);
  timer.unref();
  sse.writer.onClose(() => clearInterval(timer));
  return undefined;
}
