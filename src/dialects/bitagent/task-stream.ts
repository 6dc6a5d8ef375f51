import type Koa from 'koa';
import { userKey } from '../../engine/directory.js';
import type { Principal, Task } from '../../engine/records.js';
import { SseWriter, resumePosition } from '../../stream/sse.js';
import type { BitAgentContext } from './context.js';
import type { StepTracker } from './step-tracker.js';

/**
 * Streams one task as this API's SSE, from the shared view of the task (see
 * stream-view.ts): every frame has an integer `id`, strictly increasing, so a
 * client that reconnects with `Last-Event-ID` (or `?last_event_id=`) gets
 * every later frame exactly once, live or after the task ended. `close` is
 * always the last frame; heartbeats (`: ping`) keep idle connections open. A
 * position the task never had (beyond its frames, or from a store that has
 * since lost them) is answered with an `error` frame that says so, then
 * `close`; frames outside the view carry no id. The handler returns as soon
 * as the stream is attached: an open stream holds its socket and its place
 * in the view, nothing of the request's middleware.
 */
export async function streamTask(
  ctx: Koa.Context,
  c: BitAgentContext,
  principal: Principal,
  taskId: string,
  headers?: Record<string, string>,
): Promise<undefined> {
  const from = resumePosition(ctx) ?? 0;
  // Checked before the stream opens, so an unknown task is this API's 404, not an error frame.
  const view = await c.views.forStream(principal, taskId, from);
  const sse = new SseWriter(ctx, c.streams, { owner: userKey(principal.tenant, principal.userId), headers });
  // A client that has every frame of a finished task, `close` included, is told it is over again (without an
  // id, so its position stays), rather than given an empty stream its EventSource would retry forever.
  if (view.finished && from === view.size) await sse.end({ event: 'close', data: 'close' });
  else if (!(await c.views.attach(principal, view, from, sse.writer))) {
    await sse.send({ event: 'error', data: `Last-Event-ID ${from - 1} is beyond this task's stream: it has ${view.size} frames so far` });
    await sse.end({ event: 'close', data: 'close' });
  }
  return undefined;
}

/** The task as its owner may read it, and its step tracker over the whole log so far (for views built after the fact). */
export async function replayTask(c: BitAgentContext, principal: Principal, taskId: string): Promise<{ task: Task; tracker: StepTracker }> {
  const { task, view } = await c.views.current(principal, taskId);
  return { task, tracker: view.fold.tracker };
}
