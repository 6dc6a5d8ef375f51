import { queryParam } from '../../http/request-params.js';
import type Koa from 'koa';
import { userKey } from '../../engine/directory.js';
import type { Principal, Task } from '../../engine/records.js';
import { followTask } from '../../stream/follow.js';
import { SseWriter, formatSse } from '../../stream/sse.js';
import type { BitAgentContext } from './context.js';
import { StepTracker } from './step-tracker.js';

/**
 * Streams one task as this API's SSE. Every frame carries an id: the last
 * (usually only) frame of a canonical event has `id: <event offset>`, the
 * ones before it in the same event `<offset>.<position>`, so a client that
 * reconnects with `Last-Event-ID` (or `?last_event_id=`) gets every later
 * frame exactly once, even when it dropped between two frames of one event.
 * Step numbering needs the whole history, so a resumed stream replays the
 * log from the start through the tracker and writes only what comes after
 * the client's position. `close` is always the last frame; heartbeats
 * (`: ping`) keep idle connections open.
 */
export async function streamTask(
  ctx: Koa.Context,
  c: BitAgentContext,
  principal: Principal,
  task: Task,
  headers?: Record<string, string>,
): Promise<undefined> {
  const seen = resumePoint(ctx);
  const sse = new SseWriter(ctx, c.streams, { owner: userKey(principal.tenant, principal.userId), headers });
  const tracker = new StepTracker(task.id);
  // A failure once the stream is open is told in it by the dialect's `streamError`.
  await followTask({
    engine: c.engine,
    principal,
    taskId: task.id,
    from: 0,
    writer: sse.writer,
    onEvent: async (event) => {
      const frames = tracker.apply(event);
      const last = frames.length - 1;
      const text = frames
        .map((f, i) => ({ ...f, position: i, id: i === last ? `${event.offset}` : `${event.offset}.${i}` }))
        .filter((f) => !seen || event.offset > seen.offset || (event.offset === seen.offset && f.position > seen.position))
        .map((f) => formatSse({ event: f.event, data: f.data, id: f.id }))
        .join('');
      if (text) await sse.writer.write(text);
    },
    onEnd: () => sse.send({ event: 'close', data: 'close' }),
  });
  return undefined;
}

/**
 * The last frame a reconnecting client has: `<offset>` (the whole event) or
 * `<offset>.<position>` (part of it). Anything else starts from the beginning.
 */
function resumePoint(ctx: Koa.Context): { offset: number; position: number } | undefined {
  const raw = ctx.get('last-event-id') || queryParam(ctx, 'last_event_id') || '';
  const match = /^(\d{1,15})(?:\.(\d{1,6}))?$/.exec(raw.trim());
  if (!match) return undefined;
  return { offset: Number(match[1]), position: match[2] === undefined ? Number.MAX_SAFE_INTEGER : Number(match[2]) };
}

/** Every event of a task's log, in order, through a tracker (for views built after the fact). */
export async function replayTask(c: BitAgentContext, principal: Principal, taskId: string): Promise<{ task: Task; tracker: StepTracker }> {
  const tracker = new StepTracker(taskId);
  let from = 0;
  for (;;) {
    const page = await c.engine.tasks.read(principal, taskId, from, 500);
    for (const event of page.events) tracker.apply(event);
    if (page.events.length === 0 || page.next === from) return { task: page.task, tracker };
    from = page.next;
  }
}
