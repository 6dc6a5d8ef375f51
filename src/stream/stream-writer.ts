import type Koa from 'koa';
import type { StreamHub } from './stream-hub.js';

export interface StreamWriterOptions {
  contentType: string;
  /** Bytes written when the stream has been quiet for the hub's heartbeat interval. */
  heartbeat: string;
  status?: number;
  headers?: Record<string, string>;
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
  private ended = false;
  private readonly cleanups: (() => void)[] = [];
  private readonly res: Koa.Context['res'];

  constructor(
    ctx: Koa.Context,
    private readonly hub: StreamHub,
    private readonly options: StreamWriterOptions,
  ) {
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
    hub.add(this);
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
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  heartbeat(): void {
    if (!this.ended && this.res.writableLength === 0) void this.write(this.options.heartbeat);
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
    this.hub.remove(this);
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // Cleanup must never keep other cleanups from running.
      }
    }
  }
}
