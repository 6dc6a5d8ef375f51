import type { TaskEvent } from '../engine/events.js';
import type { Task } from '../engine/records.js';

/** A dialect's running interpretation of one task's log: each event in, its frames out. */
export interface ViewFold<F> {
  /** The frames one event adds, in order (possibly none). Called once per event, in log order. */
  apply(event: TaskEvent): F[];
}

/**
 * How a dialect sees a task's log: a fold that turns events into frames
 * (a pure function of the log: the same events always give the same frames)
 * and the form each frame takes once its position is known.
 */
export interface ViewSpec<F, S extends ViewFold<F>, R> {
  /** A fold in its initial state, for one task. */
  start(task: Task): S;
  /** A frame as clients get it; `position` is its place in the view: 0, 1, 2, … with no gaps. */
  render(frame: F, position: number, event: TaskEvent): R;
}

/**
 * One task's log as one dialect's frames, rendered once and kept: every
 * reader of the task (each stream, each poll) takes its frames from here, so
 * a frame is computed once per event however many clients read it, and a
 * position (a frame's number) names one frame for every client, on every
 * instance, before and after a restart, without any per-client state.
 *
 * Positions count from the first event the log keeps: a log trimmed by
 * `engine.event_log_cap` numbers its frames from what is left.
 */
export class RenderedView<F, S extends ViewFold<F>, R> {
  readonly frames: R[] = [];
  readonly fold: S;
  /** The next log offset this view has not seen. */
  nextOffset = 0;
  /** The view holds the task's last event (`task.finished`): it will not grow again. */
  finished = false;
  /** When the last event seen was appended (ms since epoch). */
  lastEventTs: number | undefined;
  private joined: { from: number; to: number; text: string } | undefined;

  constructor(
    readonly task: Task,
    readonly epoch: string,
    private readonly spec: ViewSpec<F, S, R>,
  ) {
    this.fold = spec.start(task);
  }

  get size(): number {
    return this.frames.length;
  }

  /**
   * Applies events in log order. Events this view has already seen are
   * skipped, so overlapping reads (a poll and a live feed) add each frame
   * once; a jump ahead is the log's trimmed start, and the view carries on
   * from it. Returns the number of frames added.
   */
  extend(events: readonly TaskEvent[]): number {
    const before = this.frames.length;
    for (const event of events) {
      if (event.offset < this.nextOffset || this.finished) continue;
      this.nextOffset = event.offset + 1;
      this.lastEventTs = event.ts;
      for (const frame of this.fold.apply(event)) this.frames.push(this.spec.render(frame, this.frames.length, event));
      if (event.type === 'task.finished') this.finished = true;
    }
    return this.frames.length - before;
  }

  /**
   * The frames from `from` to `to` as one string (for views rendered as
   * text). The last one asked for is kept, so the many streams that stand at
   * the same place when an event arrives share one string.
   */
  text(this: RenderedView<F, S, string>, from: number, to: number): string {
    const last = this.joined;
    if (last && last.from === from && last.to === to) return last.text;
    const text = from + 1 === to ? this.frames[from]! : this.frames.slice(from, to).join('');
    this.joined = { from, to, text };
    return text;
  }
}
