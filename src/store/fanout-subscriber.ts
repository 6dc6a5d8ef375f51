import type { TaskEvent } from '../engine/events.js';
import type { Subscription } from './store.js';

/** Reads stored events of a log: offset ≥ `from`, at most `limit`, in order. */
export type LogReader = (logId: string, from: number, limit: number) => Promise<TaskEvent[]>;

export interface SubscriberLimits {
  /** Events asked for per catch-up read. */
  batch: number;
  /**
   * Live events buffered for a subscriber that is still busy. Past this the
   * buffer is dropped and the subscriber reads the store instead, so a slow
   * consumer costs store reads, never unbounded memory.
   */
  maxBuffered: number;
}

/**
 * One subscription's delivery state. It tracks the next offset it owes its
 * caller and delivers an event only when `event.offset === next`; a live event
 * further ahead means something was missed (the replay is still running, a
 * notification was lost, the buffer overflowed), so it reads the store from
 * `next` instead. That one rule gives the no-gap, no-duplicate handover from
 * replay to live, whatever order reads and notifications arrive in.
 *
 * Idle subscribers hold no timer and issue no read: work starts only when a
 * live event arrives or the replay starts. After a reconnect the fan-out
 * reads each log once for all its subscribers and pushes what it found, so
 * the same rule takes what each one still owes.
 */
export class Subscriber implements Subscription {
  readonly failed: Promise<Error>;
  private next: number;
  private pending: TaskEvent[] = [];
  /** The store must be read from `next` before trusting `pending`. */
  private behind = true;
  /** Set once live notifications for the log are flowing; the replay waits for it. */
  private live = false;
  private running = false;
  private closed = false;
  private settle!: (error: Error) => void;

  constructor(
    readonly logId: string,
    from: number,
    private readonly onEvent: (event: TaskEvent) => void | Promise<void>,
    private readonly read: LogReader,
    private readonly limits: SubscriberLimits,
    private readonly detach: (subscriber: Subscriber) => void,
  ) {
    this.next = Math.max(0, Math.floor(from));
    this.failed = new Promise<Error>((resolve) => {
      this.settle = resolve;
    });
  }

  /** Live notifications now reach `push`: safe to replay from the store. */
  start(): void {
    this.live = true;
    this.kick();
  }

  /** A new event of the log, in the order the store assigned it. */
  push(event: TaskEvent): void {
    if (this.closed || event.offset < this.next) return;
    if (this.pending.length >= this.limits.maxBuffered) {
      this.pending = [];
      this.behind = true;
    } else {
      this.pending.push(event);
    }
    this.kick();
  }

  /** The offset of the next event this subscription owes its caller. */
  get position(): number {
    return this.next;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.detach(this);
  }

  /** Ends the subscription and settles `failed`; later calls are ignored. */
  fail(error: Error): void {
    if (this.closed) return;
    this.close();
    this.settle(error);
  }

  private kick(): void {
    if (!this.live || this.running || this.closed) return;
    this.running = true;
    // Deliveries start on a later microtask so a store never calls back into
    // its caller from inside `append` or `subscribe`.
    queueMicrotask(() => void this.pump());
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        if (this.closed) return;
        if (this.behind) {
          this.behind = false;
          await this.catchUp();
          continue;
        }
        const event = this.pending.shift();
        if (!event) return;
        if (event.offset < this.next) continue;
        if (event.offset > this.next) {
          this.pending.unshift(event);
          await this.catchUp();
          // The store no longer holds the gap (trimmed or expired): the live
          // event is the next thing that exists, so carry on from it.
          if (this.next < event.offset) this.next = event.offset;
          continue;
        }
        await this.deliver(event);
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      // Runs in the same turn as the last emptiness check, so no `push` can
      // slip in between and be left without a pump.
      this.running = false;
    }
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const batch = await this.read(this.logId, this.next, this.limits.batch);
      for (const event of batch) {
        if (this.closed) return;
        if (event.offset >= this.next) await this.deliver(event);
      }
      if (batch.length < this.limits.batch) return;
    }
  }

  private async deliver(event: TaskEvent): Promise<void> {
    this.next = event.offset + 1;
    // A throwing or rejecting `onEvent` ends the subscription through `failed`.
    await this.onEvent(event);
  }
}
