import type { StreamWriter } from './stream-writer.js';

/**
 * Every open stream of this process. One timer for all of them sends
 * heartbeats to the streams that have been quiet (no per-stream timers, so an
 * idle stream costs only its socket and a few objects), and shutdown ends them
 * all cleanly.
 */
export class StreamHub {
  private readonly open = new Set<StreamWriter>();
  private readonly timer: NodeJS.Timeout;
  private closing = false;

  constructor(readonly heartbeatMs: number) {
    this.timer = setInterval(() => this.beat(), Math.max(50, Math.floor(heartbeatMs / 2)));
    this.timer.unref();
  }

  get size(): number {
    return this.open.size;
  }

  get shuttingDown(): boolean {
    return this.closing;
  }

  add(writer: StreamWriter): void {
    this.open.add(writer);
  }

  remove(writer: StreamWriter): void {
    this.open.delete(writer);
  }

  private beat(now = Date.now()): void {
    for (const writer of this.open) if (now - writer.lastWriteAt >= this.heartbeatMs) writer.heartbeat();
  }

  /** Ends every open stream (each writes its dialect's closing frame, if any) and stops the timer. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await Promise.all([...this.open].map((writer) => writer.end()));
  }
}
