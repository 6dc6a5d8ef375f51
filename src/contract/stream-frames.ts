// Reading a streamed response body into frames. SSE: one frame per event,
// `{event, id?, data}` with `event` defaulting to "message" as browsers do, and
// `data` parsed as JSON when it is JSON. NDJSON: one frame per JSON line; lines that
// are not JSON (`: heartbeat`, blank lines) are skipped, as clients of those
// streams do.

import { createParser } from 'eventsource-parser';
import { parseJsonOrUndefined } from './json-values.js';
import type { StreamFormat } from './types.js';

export interface SseFrame {
  event: string;
  id?: string;
  data: unknown;
}

export interface CollectedStream {
  format: StreamFormat;
  frames: unknown[];
  /** The server ended the body. */
  ended: boolean;
  /** Reading stopped because `timeoutMs` passed. */
  timedOut: boolean;
  /** Reading stopped because `stopAfter` said so. */
  stopped: boolean;
  /** The connection failed mid-body. */
  error?: string;
}

export interface CollectOptions {
  format: StreamFormat;
  timeoutMs: number;
  /** Called with each frame as it arrives; true stops reading after that frame. */
  stopAfter: (frame: unknown, index: number) => boolean;
  /** Closes the connection when reading stops early. */
  abort: () => void;
}

/** The framing a content type implies, or undefined for a body that is not a stream. */
export function detectStreamFormat(contentType: string | null): StreamFormat | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/event-stream') return 'sse';
  if (type === 'text/plain' || type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  return undefined;
}

function createFramer(format: StreamFormat, emit: (frame: unknown) => void): { feed: (text: string) => void; end: () => void } {
  if (format === 'sse') {
    const parser = createParser({
      onEvent: (event) => {
        const data = parseJsonOrUndefined(event.data);
        emit({ event: event.event ?? 'message', ...(event.id === undefined ? {} : { id: event.id }), data: data === undefined ? event.data : data });
      },
    });
    // An event not closed by a blank line when the body ends is dropped, as the SSE spec says.
    return { feed: (text) => parser.feed(text), end: () => undefined };
  }
  let buffer = '';
  const line = (raw: string): void => {
    const text = raw.trim();
    if (text === '') return;
    const value = parseJsonOrUndefined(text);
    if (value !== undefined) emit(value);
  };
  return {
    feed: (text) => {
      buffer += text;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        line(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
    },
    end: () => line(buffer),
  };
}

/** Reads `body` until it ends, `stopAfter` returns true, or the timeout passes. */
export async function collectFrames(body: ReadableStream<Uint8Array> | null, options: CollectOptions): Promise<CollectedStream> {
  const result: CollectedStream = { format: options.format, frames: [], ended: false, timedOut: false, stopped: false };
  if (!body) return { ...result, ended: true };
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const framer = createFramer(options.format, (frame) => {
    if (result.stopped) return; // frames that shared a chunk with the stop frame are not read
    result.frames.push(frame);
    if (options.stopAfter(frame, result.frames.length - 1)) result.stopped = true;
  });
  const timer = setTimeout(() => {
    result.timedOut = true;
    options.abort();
    void reader.cancel().catch(() => undefined);
  }, options.timeoutMs);
  try {
    while (!result.stopped && !result.timedOut) {
      const { done, value } = await reader.read();
      if (done) {
        if (!result.timedOut) {
          framer.feed(decoder.decode());
          framer.end();
          result.ended = true;
        }
        break;
      }
      framer.feed(decoder.decode(value, { stream: true }));
    }
  } catch (error) {
    if (!result.timedOut) result.error = (error as Error).message;
  } finally {
    clearTimeout(timer);
    if (!result.ended) {
      options.abort();
      await reader.cancel().catch(() => undefined);
    }
  }
  return result;
}
