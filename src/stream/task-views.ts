import type { Engine } from '../engine/engine.js';
import type { Principal, Task } from '../engine/records.js';
import type { Subscription } from '../store/store.js';
import type { StreamWriter } from './stream-writer.js';
import { RenderedView, type ViewFold, type ViewSpec } from './task-view.js';

export interface TaskViewsOptions {
  /** Frames kept across the views no stream is reading; the least recently used go first. */
  maxFrames: number;
  /** Views kept, however small (a poll of many short tasks makes many). */
  maxViews: number;
  /** Events asked for per store read while a view catches up. */
  readBatch: number;
}

/** What a set of views holds now, and how much rendering it has done. */
export interface ViewStats {
  /** Views kept. */
  views: number;
  /** Streams reading them. */
  readers: number;
  /** Live feeds of logs (one per unfinished view that streams read, however many streams). */
  feeds: number;
  /** Frames rendered since start: each frame once, whatever the number of readers. */
  rendered: number;
}

const DEFAULTS: TaskViewsOptions = { maxFrames: 200_000, maxViews: 10_000, readBatch: 500 };

/** One stream reading a view: where it stands and where its bytes go. */
interface Reader {
  position: number;
  readonly writer: StreamWriter;
  busy: boolean;
}

interface Entry<F, S extends ViewFold<F>, R> {
  readonly view: RenderedView<F, S, R>;
  readonly readers: Set<Reader>;
  /** The live feed of the log while streams read an unfinished view. */
  live: Subscription | 'starting' | undefined;
}

/**
 * One dialect's views of the tasks this instance serves, shared by every
 * reader: a poll reads only the events its view has not seen (usually none),
 * and the streams of one task share one live feed of its log, whose events
 * are rendered once and written to each stream at its own pace. A stream
 * that cannot keep up costs nothing beyond its place in the frames, which
 * are kept anyway; it never holds back the feed or the other streams.
 *
 * Views are kept while streams read them and, after that, as long as they
 * fit in `maxFrames` (least recently used dropped first); a dropped view is
 * rebuilt from the log when it is next read. A view whose log changed epoch
 * (a store that lost its data) is dropped and its streams ended: their
 * positions belong to a log that no longer exists.
 */
export class TaskViews<F, S extends ViewFold<F>, R> {
  private readonly entries = new Map<string, Entry<F, S, R>>();
  private readonly options: TaskViewsOptions;
  private framesKept = 0;
  private rendered = 0;

  constructor(
    private readonly engine: Engine,
    private readonly spec: ViewSpec<F, S, R>,
    options: Partial<TaskViewsOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /**
   * The task as its owner may read it now (another user's task is "not
   * found") and its view caught up with the log as it stands: one store read
   * when the view is current.
   */
  async current(principal: Principal, taskId: string): Promise<{ task: Task; view: RenderedView<F, S, R>; logClosed: boolean }> {
    const { readBatch } = this.options;
    for (;;) {
      let entry = this.entries.get(taskId);
      const from = entry?.view.nextOffset ?? 0;
      // Every read checks the owner: another user's "not found" leaves the view (and its streams) alone.
      const page = await this.engine.tasks.read(principal, taskId, from, readBatch);
      // Another reader may have made or replaced the view meanwhile.
      entry = this.entries.get(taskId);
      if (entry && entry.view.epoch !== page.epoch) {
        this.drop(entry, true);
        entry = undefined;
      }
      if (!entry) {
        // A page read for a view that is gone does not start a new one.
        if (from !== 0) continue;
        entry = { view: new RenderedView(page.task, page.epoch, this.spec), readers: new Set(), live: undefined };
        this.entries.set(taskId, entry);
      }
      if (from > entry.view.nextOffset) continue;
      this.grow(entry, page.events);
      if (page.events.length < readBatch) {
        this.touch(taskId, entry);
        // A closed log (or one gone before its record) will not grow: what the view holds is all there is.
        return { task: page.task, view: entry.view, logClosed: page.closed };
      }
    }
  }

  /**
   * The view a new stream of the task starts from: a view that a live feed
   * keeps current is given without a store read (its owner checked against
   * the task it was built for, which never changes owner), so a thousand
   * streams opening on one running task cost one read, not a thousand;
   * otherwise, and for a position the feed has not reached yet (another
   * instance may have served it already), as `current`.
   */
  async forStream(principal: Principal, taskId: string, from: number): Promise<RenderedView<F, S, R>> {
    const entry = this.entries.get(taskId);
    const view = entry?.view;
    const owned = view && view.task.tenant === principal.tenant && view.task.userId === principal.userId;
    if (owned && typeof entry.live === 'object' && from <= view.size) return view;
    return (await this.current(principal, taskId)).view;
  }

  /**
   * Streams a view that `current` or `forStream` just gave to `writer` from frame `from`:
   * what the view holds now, then each new frame as the log grows, then
   * (once the task ended and every frame is written) ends the writer.
   * Returns once the stream is attached, or false, writing nothing, when
   * `from` is beyond the frames the task has.
   */
  async attach(this: TaskViews<F, S, string>, principal: Principal, view: RenderedView<F, S, string>, from: number, writer: StreamWriter): Promise<boolean> {
    const taskId = view.task.id;
    const entry = this.entries.get(taskId);
    // Only a view dropped in between (its log lost) is not the entry's: read again.
    if (!entry || entry.view !== view) return this.attach(principal, (await this.current(principal, taskId)).view, from, writer);
    if (from > view.size) return false;
    const reader: Reader = { position: from, writer, busy: false };
    entry.readers.add(reader);
    writer.onClose(() => this.detach(taskId, entry, reader));
    if (!view.finished) await this.goLive(principal, taskId, entry);
    void this.pump(entry, reader);
    return true;
  }

  stats(): ViewStats {
    let readers = 0;
    let feeds = 0;
    for (const entry of this.entries.values()) {
      readers += entry.readers.size;
      if (entry.live) feeds++;
    }
    return { views: this.entries.size, readers, feeds, rendered: this.rendered };
  }

  private async goLive(this: TaskViews<F, S, string>, principal: Principal, taskId: string, entry: Entry<F, S, string>): Promise<void> {
    if (entry.live) return;
    entry.live = 'starting';
    const { view } = entry;
    let live: Subscription;
    try {
      live = await this.engine.tasks.follow(principal, taskId, { offset: view.nextOffset, epoch: view.epoch }, (event) => {
        this.grow(entry, [event]);
      });
    } catch (error) {
      entry.live = undefined;
      this.drop(entry, true);
      throw error;
    }
    if (entry.readers.size === 0 || view.finished || this.entries.get(taskId) !== entry) {
      live.close();
      if (entry.live === 'starting') entry.live = undefined;
      return;
    }
    entry.live = live;
    // A store that fails the feed ends the streams; their clients resume from their last frame.
    void live.failed.then(() => {
      if (entry.live === live) this.drop(entry, true);
    });
  }

  private grow(entry: Entry<F, S, R>, events: Parameters<RenderedView<F, S, R>['extend']>[0]): void {
    const added = entry.view.extend(events);
    if (added === 0 && !entry.view.finished) return;
    this.framesKept += added;
    this.rendered += added;
    if (entry.view.finished) this.stopLive(entry);
    // Readers exist only on views rendered as text: `attach` is the one way in.
    for (const reader of entry.readers) void this.pump(entry as unknown as Entry<F, S, string>, reader);
  }

  /** Writes what the reader has not had yet, waiting for its socket as needed; ends it after the last frame. */
  private async pump(entry: Entry<F, S, string>, reader: Reader): Promise<void> {
    if (reader.busy) return;
    reader.busy = true;
    try {
      const { view } = entry;
      while (!reader.writer.closed) {
        const size = view.size;
        if (reader.position < size) {
          const text = view.text(reader.position, size);
          reader.position = size;
          await reader.writer.write(text);
        } else {
          if (view.finished) await reader.writer.end();
          break;
        }
      }
    } finally {
      // No await between the last check and this, so a frame added meanwhile finds the reader idle and pumps again.
      reader.busy = false;
    }
  }

  private detach(taskId: string, entry: Entry<F, S, R>, reader: Reader): void {
    entry.readers.delete(reader);
    if (entry.readers.size > 0) return;
    this.stopLive(entry);
    if (this.entries.get(taskId) === entry) this.evict();
  }

  private stopLive(entry: Entry<F, S, R>): void {
    const live = entry.live;
    if (live && live !== 'starting') live.close();
    entry.live = undefined;
  }

  /** Marks a view as just used (the map's order is the eviction order) and keeps the total within bounds. */
  private touch(taskId: string, entry: Entry<F, S, R>): void {
    this.entries.delete(taskId);
    this.entries.set(taskId, entry);
    this.evict();
  }

  private evict(): void {
    const { maxFrames, maxViews } = this.options;
    const over = () => this.framesKept > maxFrames || this.entries.size > maxViews;
    if (!over()) return;
    for (const entry of this.entries.values()) {
      if (!over()) return;
      if (entry.readers.size === 0) this.drop(entry, false);
    }
  }

  /** Forgets a view; `endReaders` also ends its streams (their positions no longer name frames here). */
  private drop(entry: Entry<F, S, R>, endReaders: boolean): void {
    const taskId = entry.view.task.id;
    if (this.entries.get(taskId) === entry) {
      this.entries.delete(taskId);
      this.framesKept -= entry.view.size;
    }
    this.stopLive(entry);
    if (endReaders) for (const reader of [...entry.readers]) void reader.writer.end();
  }
}
