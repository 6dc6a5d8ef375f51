import { request, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { SseFrameCounter, SseFrameSplitter } from './sse-frames.js';

const CONNECT_TIMEOUT_MS = 20_000;

interface HeldStream {
  req: ClientRequest;
  /** Frames received so far (heartbeat comments are not frames). */
  frames: number;
  /** The `close` frame arrived, or the server ended the response. */
  done: boolean;
  /** `performance.now()` at which each frame was complete, when recording. */
  arrivals: number[] | undefined;
}

export interface StreamCounts {
  streams: number;
  minFrames: number;
  maxFrames: number;
  done: number;
}

/**
 * Many SSE streams held open at once, one socket each (no agent pooling), as
 * separate browsers would hold them. Each stream is read as it arrives (so no
 * server ever sees a stalled reader) and split into frames; with `record`,
 * the arrival time of every frame is kept so the spread of one frame across
 * all streams can be computed. The first stream also keeps its frames' text,
 * which the floors replay byte for byte.
 */
export class HeldStreams {
  private readonly streams: HeldStream[] = [];
  private readonly sample: string[] = [];
  private headers: IncomingHttpHeaders | undefined;
  /** The next stream opened keeps the sample (the first one opened after a `closeAll`). */
  private sampled = false;

  /** Opens one stream per path, `parallel` connects at a time; resolves once every stream has its response headers. */
  async open(port: number, paths: readonly string[], headers: Record<string, string>, record: boolean, parallel = 50): Promise<IncomingHttpHeaders> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < paths.length) {
        const path = paths[next++];
        if (path !== undefined) this.streams.push(await this.openOne(port, path, headers, record));
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, paths.length) }, worker));
    return this.headers ?? {};
  }

  counts(): StreamCounts {
    let minFrames = Number.POSITIVE_INFINITY;
    let maxFrames = 0;
    let done = 0;
    for (const s of this.streams) {
      minFrames = Math.min(minFrames, s.frames);
      maxFrames = Math.max(maxFrames, s.frames);
      if (s.done) done++;
    }
    return { streams: this.streams.length, minFrames: this.streams.length ? minFrames : 0, maxFrames, done };
  }

  /** Resolves once every stream has ended (its `close` frame or the end of the response). */
  async allDone(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { done, streams, minFrames, maxFrames } = this.counts();
      if (done === streams) return;
      if (Date.now() > deadline) throw new Error(`${streams - done} of ${streams} streams still open after ${timeoutMs} ms (frames per stream ${minFrames}–${maxFrames})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * For each frame position from `from` on: the time between the first and
   * the last stream receiving it, in ms. Every stream must have received the
   * same number of frames: the streams follow one log from its start, so
   * their frame sequences are the same.
   */
  spreads(from: number): number[] {
    const first = this.streams[0]?.arrivals;
    if (!first) throw new Error('no recorded streams');
    const spreads: number[] = [];
    for (let at = from; at < first.length; at++) {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const s of this.streams) {
        const t = s.arrivals?.[at];
        if (t === undefined) throw new Error(`a stream got ${s.arrivals?.length ?? 0} frames, the first one ${first.length}`);
        min = Math.min(min, t);
        max = Math.max(max, t);
      }
      spreads.push(max - min);
    }
    return spreads;
  }

  /** The frames of the first stream, as received. */
  sampleFrames(): string[] {
    return this.sample;
  }

  /** Hangs up every stream, as clients that leave would. */
  closeAll(): void {
    for (const s of this.streams) s.req.destroy();
    this.streams.length = 0;
    this.sample.length = 0;
    this.headers = undefined;
    this.sampled = false;
  }

  private openOne(port: number, path: string, headers: Record<string, string>, record: boolean): Promise<HeldStream> {
    const keepSample = !this.sampled;
    this.sampled = true;
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { accept: 'text/event-stream', ...headers } });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`GET ${path}: no response headers within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      req.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`GET ${path}: ${error.message}`));
      });
      req.once('response', (res) => {
        clearTimeout(timer);
        const type = res.headers['content-type'] ?? '';
        if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
          req.destroy();
          reject(new Error(`GET ${path}: expected a 200 event stream, got ${res.statusCode} ${type}`));
          return;
        }
        if (keepSample) this.headers = res.headers;
        const held: HeldStream = { req, frames: 0, done: false, arrivals: record ? [] : undefined };
        const counter = new SseFrameCounter();
        // Only the sample stream decodes its bytes; the others just count frames.
        const sample = keepSample ? { splitter: new SseFrameSplitter(), decoder: new TextDecoder() } : undefined;
        res.on('data', (chunk: Buffer) => {
          const now = performance.now();
          const { frames, closed } = counter.push(chunk);
          held.frames += frames;
          for (let i = 0; i < frames; i++) held.arrivals?.push(now);
          if (closed) held.done = true;
          if (sample) this.sample.push(...sample.splitter.push(sample.decoder.decode(chunk, { stream: true })));
        });
        res.on('end', () => (held.done = true));
        // After the headers, errors are our own hang-ups: nothing to report.
        req.removeAllListeners('error');
        req.on('error', () => {});
        resolve(held);
      });
      req.end();
    });
  }
}
