import type Koa from 'koa';
import type { StreamHub } from './stream-hub.js';

export interface StreamWriterOptions {
  contentType: string;
  /** Bytes written when the stream has been quiet for the heartbeat interval. */
  heartbeat: string;
  /** This stream's heartbeat interval when its API names one (Sage: 20 s); the hub's otherwise. */
  heartbeatMs?: number;
  status?: number;
  headers?: Record<string, string>;
  /** The user the stream belongs to (a `userKey`), counted against the per-user limit. */
  owner?: string;
}

/**
 * The one primitive under every streaming style (SSE, NDJSON text): writes
 * straight to the raw response (Koa's body machinery stays out of the way,
 * which also keeps its premature-close reports of a piped body out of the
 * log), waits for `drain` when the socket is full (back-pressure), and runs
 * cleanup once when the client goes away or the stream ends.
 */
export class StreamWriter {
  lastWriteAt = Date.now();
  /** Since when a write has been waiting for the client to take bytes (undefined while it keeps up). */
  waitingSince: number | undefined;
  private ended = false;
  private readonly cleanups: (() => void)[] = [];
  private readonly res: Koa.Context['res'];
  private readonly leaveHub: () => void;

  /** Throws (before anything is sent) when the owner has too many streams open. */
  constructor(
    ctx: Koa.Context,
    hub: StreamHub,
    private readonly options: StreamWriterOptions,
  ) {
    this.leaveHub = hub.add(this, options.owner);
    // The mount's error boundary finds the open stream here, to end it in the dialect's style.
    ctx.state.stream = this;
    ctx.respond = false;
    this.res = ctx.res;
    this.res.writeHead(options.status ?? 200, {
      'Content-Type': options.contentType,
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...options.headers,
    });
    this.res.flushHeaders();
    this.res.on('close', () => this.finish());
    this.res.on('error', () => this.finish());
    // A client gone before the stream opened has already fired its `close`.
    if (this.res.destroyed) this.finish();
    // A client that shut down its sending side is done with the stream (the server lets half-closed
    // connections finish their answer, see connection-guards.ts, and a stream has no end to wait for).
    const socket = this.res.socket;
    if (socket && !this.ended) {
      const clientDone = () => this.drop();
      if (socket.readableEnded) clientDone();
      else {
        socket.once('end', clientDone);
        this.onClose(() => socket.off('end', clientDone));
      }
    }
  }

  /** True once the client left or the stream was ended. */
  get closed(): boolean {
    return this.ended;
  }

  /** Runs `fn` once when the stream closes for any reason. */
  onClose(fn: () => void): void {
    if (this.ended) fn();
    else this.cleanups.push(fn);
  }

  /** Writes bytes; resolves when the socket can take more. Writing to a closed stream is a no-op. */
  async write(chunk: string): Promise<void> {
    if (this.ended) return;
    this.lastWriteAt = Date.now();
    if (this.res.write(chunk)) return;
    this.waitingSince ??= Date.now();
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        this.waitingSince = undefined;
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Its own heartbeat interval, if its API names one. */
  get heartbeatMs(): number | undefined {
    return this.options.heartbeatMs;
  }

  heartbeat(): void {
    if (!this.ended && this.res.writableLength === 0) void this.write(this.options.heartbeat);
  }

  /** Cuts the connection of a client that stopped reading; what it did not take is lost to it. */
  drop(): void {
    this.res.destroy();
    this.finish();
  }

  /** Writes an optional last chunk and ends the response. */
  async end(last?: string): Promise<void> {
    if (this.ended) return;
    if (last) await this.write(last);
    this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.leaveHub();
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // Cleanup must never keep other cleanups from running.
      }
    }
  }
}
