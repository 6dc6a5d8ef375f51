import type { TaskEvent } from '../../engine/events.js';
import type { Task } from '../../engine/records.js';
import { formatSse } from '../../stream/sse.js';
import type { ViewFold, ViewSpec } from '../../stream/task-view.js';
import type { TaskViews } from '../../stream/task-views.js';
import type { ViewRegistry } from '../../stream/view-registry.js';
import { StepTracker, type Frame } from './step-tracker.js';

/** The last frame of every task stream: the document's `event: close` / `data: close`. */
const CLOSE: Frame = { event: 'close', data: 'close' };

/** The step tracker, plus the closing frame after the task's last event. */
class StreamFold implements ViewFold<Frame> {
  readonly tracker: StepTracker;

  constructor(task: Task) {
    this.tracker = new StepTracker(task.id);
  }

  apply(event: TaskEvent): Frame[] {
    const frames = this.tracker.apply(event);
    if (event.type === 'task.finished') frames.push(CLOSE);
    return frames;
  }
}

/**
 * This API's view of a task: its SSE frames, each with `id: <position>`
 * (0, 1, 2, … within the task, `close` included), so `Last-Event-ID: N`
 * resumes with frame N + 1 on any instance, at any time.
 */
const STREAM_VIEW: ViewSpec<Frame, StreamFold, string> = {
  start: (task) => new StreamFold(task),
  render: (frame, position) => formatSse({ event: frame.event, data: frame.data, id: position }),
};

export type BitAgentViews = TaskViews<Frame, StreamFold, string>;

export function bitAgentViews(views: ViewRegistry): BitAgentViews {
  return views.create(STREAM_VIEW);
}
