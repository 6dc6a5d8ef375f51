import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { frameEvent, SseFrameSplitter } from './sse-frames.js';

export interface TimedRead {
  /** Request written → response head received, ms. */
  toFirstByteMs: number;
  /** Response head → the last byte of the `close` frame (or of the response), ms. */
  firstToLastByteMs: number;
  frames: number;
  bytes: number;
  /** Every frame as received, when asked for (the floors serve these bytes). */
  body?: string[];
  headers: Record<string, string>;
}

const READ_TIMEOUT_MS = 60_000;

/**
 * Reads one SSE stream of a finished task to its end over a fresh connection
 * and times it. The stream is split into frames as it arrives, as a real
 * client must, so the same parsing cost is in every figure, floor or gateway.
 */
export function timedRead(port: number, path: string, headers: Record<string, string>, keepBody: boolean): Promise<TimedRead> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { accept: 'text/event-stream', ...headers } });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`GET ${path}: not finished within ${READ_TIMEOUT_MS} ms`));
    }, READ_TIMEOUT_MS);
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`GET ${path}: ${error.message}`));
    });
    req.once('response', (res) => {
      const head = performance.now();
      if (res.statusCode !== 200) {
        clearTimeout(timer);
        req.destroy();
        reject(new Error(`GET ${path}: expected 200, got ${res.statusCode}`));
        return;
      }
      const splitter = new SseFrameSplitter();
      const body: string[] = [];
      let frames = 0;
      let bytes = 0;
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        const last = performance.now();
        clearTimeout(timer);
        req.destroy();
        const flat: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') flat[name] = value;
        resolve({
          toFirstByteMs: head - started,
          firstToLastByteMs: last - head,
          frames,
          bytes,
          headers: flat,
          ...(keepBody ? { body } : {}),
        });
      };
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        bytes += Buffer.byteLength(text);
        for (const frame of splitter.push(text)) {
          frames++;
          if (keepBody) body.push(frame);
          if (frameEvent(frame) === 'close') finish();
        }
      });
      res.on('end', finish);
    });
    req.end();
  });
}
