import { UserGauge } from '../engine/user-gauge.js';
import type { StreamWriter } from './stream-writer.js';

export interface StreamHubOptions {
  /** A stream quiet for this long gets its dialect's heartbeat. */
  heartbeatMs: number;
  /** A stream whose client has taken nothing for this long, with its socket full, is dropped. */
  stallMs: number;
  /** Most open streams per user on this instance. */
  perUser: number;
}

/**
 * Every open stream of this process. One timer for all of them sends
 * heartbeats to the streams that have been quiet and drops the ones whose
 * client stopped reading (no per-stream timers, so an idle stream costs only
 * its socket and a few objects); shutdown ends them all cleanly.
 *
 * A client that stops reading never makes the gateway buffer without bound:
 * a writer waits for `drain` once the socket is full, which holds back the
 * task's subscription (back-pressure), and after `stallMs` of waiting the
 * connection is cut.
 */
export class StreamHub {
  private readonly open = new Set<StreamWriter>();
  private readonly timer: NodeJS.Timeout;
  private readonly users: UserGauge;
  private closing = false;

  constructor(readonly options: StreamHubOptions) {
    this.users = new UserGauge(options.perUser, 'open streams');
    const tick = Math.max(50, Math.floor(Math.min(options.heartbeatMs, options.stallMs) / 2));
    this.timer = setInterval(() => this.beat(), tick);
    this.timer.unref();
  }

  get size(): number {
    return this.open.size;
  }

  get shuttingDown(): boolean {
    return this.closing;
  }

  /** Open streams of one user (a `userKey`). */
  countOf(owner: string): number {
    return this.users.count(owner);
  }

  /**
   * Registers a writer before its headers are sent; refuses (`rate_limited`,
   * answered as the dialect's 429) when its owner has too many open. Returns
   * the removal.
   */
  add(writer: StreamWriter, owner: string | undefined): () => void {
    const release = owner === undefined ? () => undefined : this.users.take(owner);
    this.open.add(writer);
    return () => {
      this.open.delete(writer);
      release();
    };
  }

  private beat(now = Date.now()): void {
    const { heartbeatMs, stallMs } = this.options;
    for (const writer of this.open) {
      if (writer.waitingSince !== undefined && now - writer.waitingSince >= stallMs) writer.drop();
      else if (now - writer.lastWriteAt >= (writer.heartbeatMs ?? heartbeatMs)) writer.heartbeat();
    }
  }

  /** Ends every open stream (each writes its dialect's closing frame, if any) and stops the timer. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await Promise.all([...this.open].map((writer) => writer.end()));
  }
}
