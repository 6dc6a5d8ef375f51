import type { Engine } from '../../engine/engine.js';
import { parseOffset } from '../../stream/offsets.js';
import type { AuthedHandler } from '../../http/as-user.js';
import { pathParam } from '../../http/request-params.js';
import { pollTask, type V1Views } from './task-poll.js';

/** `GET /tasks/{task_id}?from=N`: the events since `from` (an invalid `from` counts as 0). */
export function taskPoll(views: V1Views): AuthedHandler {
  return async (ctx, principal) => {
    const data = await pollTask(views, principal, pathParam(ctx, 'task_id'), parseOffset(ctx.query.from));
    return { data };
  };
}

/**
 * `POST /tasks/{task_id}/cancel`: stops the run for real (the model call is
 * aborted wherever it runs) and answers once the task has ended, so a poll
 * right after sees "canceled" and the closing `task_stopped`. Cancelling a
 * task that already ended changes nothing and still succeeds.
 */
export function taskCancel(engine: Engine): AuthedHandler {
  return async (ctx, principal) => {
    await engine.tasks.cancel(principal, pathParam(ctx, 'task_id'));
    return {};
  };
}
