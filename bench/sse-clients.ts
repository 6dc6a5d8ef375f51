import type { IncomingHttpHeaders } from 'node:http';
import { BenchChild } from './bench-child.js';
import type { TimedRead } from './sse-read.js';
import type { StreamCounts } from './sse-streams.js';

/** What the SSE client process does on the parent's behalf (see sse-client-process.ts). */
export type SseClientRequest =
  | { cmd: 'open'; port: number; paths: string[]; headers: Record<string, string>; record: boolean }
  | { cmd: 'counts' }
  | { cmd: 'sample' }
  | { cmd: 'finish'; from: number; timeoutMs: number }
  | { cmd: 'close' }
  | { cmd: 'read'; port: number; path: string; headers: Record<string, string>; keepBody: boolean }
  | { cmd: 'stop' };

export interface FinishedStreams {
  /** Per frame position from `from` on: last arrival − first arrival over all streams, ms. */
  spreads: number[];
  /** The first stream's frames, as received. */
  frames: string[];
}

const REQUEST_TIMEOUT_MS = 120_000;

/**
 * The SSE clients, in a process of their own: their sockets, buffers and
 * parsing never count against the server measured, and a server's figure is
 * never slowed by its own clients sharing its event loop.
 */
export class SseClients {
  private readonly child = new BenchChild('sse-client-process.js', []);

  /** Opens and holds one stream per path; resolves with the first stream's response headers once all have theirs. */
  open(port: number, paths: string[], headers: Record<string, string>, record = false): Promise<IncomingHttpHeaders> {
    return this.ask({ cmd: 'open', port, paths, headers, record }, `${paths.length} streams to open`);
  }

  counts(): Promise<StreamCounts> {
    return this.ask({ cmd: 'counts' }, 'stream counts');
  }

  /**
   * Resolves once every held stream has the same number of frames for
   * `quietMs` in a row: all of them have caught up with what the server had
   * to send, and nothing new is coming.
   */
  async settled(quietMs: number, timeoutMs: number): Promise<StreamCounts> {
    const deadline = Date.now() + timeoutMs;
    let last: StreamCounts | undefined;
    let since = Date.now();
    for (;;) {
      const counts = await this.counts();
      const same = last !== undefined && counts.minFrames === counts.maxFrames && counts.maxFrames === last.maxFrames;
      if (!same) since = Date.now();
      else if (Date.now() - since >= quietMs) return counts;
      if (Date.now() > deadline) throw new Error(`streams never settled: ${counts.minFrames}–${counts.maxFrames} frames each`);
      last = counts;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The frames the first held stream has received so far. */
  sample(): Promise<string[]> {
    return this.ask({ cmd: 'sample' }, 'the first stream\'s frames');
  }

  /** Waits until every held stream has ended, then reports the spreads from frame position `from` on. */
  finish(from: number, timeoutMs: number): Promise<FinishedStreams> {
    return this.ask({ cmd: 'finish', from, timeoutMs }, 'every stream to end', timeoutMs + 10_000);
  }

  closeAll(): Promise<void> {
    return this.ask({ cmd: 'close' }, 'streams to close');
  }

  read(port: number, path: string, headers: Record<string, string>, keepBody = false): Promise<TimedRead> {
    return this.ask({ cmd: 'read', port, path, headers, keepBody }, `a timed read of ${path}`);
  }

  async stop(): Promise<void> {
    await this.ask({ cmd: 'stop' }, 'stop').catch(() => undefined);
    await this.child.stop();
  }

  private ask<T>(request: SseClientRequest, what: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    return this.child.request<T>(request, timeoutMs, `SSE clients: ${what}`);
  }
}
