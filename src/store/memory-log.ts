import type { TaskEvent } from '../engine/events.js';

/**
 * One task's event log held in memory: a capped window of the newest events.
 * Dropped events leave `first` behind them, so offsets never move.
 */
export class MemoryLog {
  /** Offset the next appended event gets. */
  next = 0;
  /** When the log disappears (ms since epoch); `undefined` keeps it. */
  expiresAt: number | undefined;
  /** Set by the store's `closeLog`: nothing is appended after. */
  closed = false;
  // A deque as array + head index: trimming the oldest event is O(1), and the
  // array is compacted once the dead prefix outweighs the live part.
  private events: TaskEvent[] = [];
  private head = 0;

  constructor(readonly epoch: string) {}

  /** Rebuilds a log from a snapshot; `events` must be consecutive and end at `next - 1`. */
  static restore(epoch: string, next: number, events: TaskEvent[], expiresAt: number | undefined, closed = false): MemoryLog {
    const log = new MemoryLog(epoch);
    log.next = next;
    log.events = events;
    log.expiresAt = expiresAt;
    log.closed = closed;
    return log;
  }

  /** Offset of the oldest event still held (equals `next` when none is). */
  get first(): number {
    return this.next - this.size;
  }

  get size(): number {
    return this.events.length - this.head;
  }

  /** Adds `event` (whose offset must be `next`) and drops the oldest beyond `cap`. */
  append(event: TaskEvent, cap: number): void {
    this.events.push(event);
    this.next = event.offset + 1;
    while (this.size > Math.max(1, cap)) this.head++;
    if (this.head > 64 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  /** Events with offset ≥ `from` (or from the oldest held), at most `limit`. */
  read(from: number, limit: number): TaskEvent[] {
    if (limit <= 0) return [];
    const start = this.head + Math.max(0, Math.floor(from) - this.first);
    return this.events.slice(start, start + limit);
  }

  /** Every event held, oldest first. */
  all(): TaskEvent[] {
    return this.events.slice(this.head);
  }
}
