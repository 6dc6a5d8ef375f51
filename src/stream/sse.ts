import type Koa from 'koa';
import { queryParam } from '../http/request-params.js';
import type { StreamHub } from './stream-hub.js';
import { StreamWriter } from './stream-writer.js';

export interface SseFrame {
  event?: string;
  id?: string | number;
  /** A string is sent as is (split on newlines into several `data:` lines); anything else as JSON. */
  data: unknown;
}

/** Server-sent events over the shared writer: `id:` lines, named events, `: ping` heartbeats. */
export class SseWriter {
  readonly writer: StreamWriter;

  /** Throws (before anything is sent) when `owner` has too many streams open. */
  constructor(ctx: Koa.Context, hub: StreamHub, options: { owner?: string; headers?: Record<string, string> } = {}) {
    this.writer = new StreamWriter(ctx, hub, {
      contentType: 'text/event-stream; charset=utf-8',
      heartbeat: ': ping\n\n',
      ...options,
    });
  }

  send(frame: SseFrame): Promise<void> {
    return this.writer.write(formatSse(frame));
  }

  comment(text: string): Promise<void> {
    return this.writer.write(`: ${text.replace(/\n/g, ' ')}\n\n`);
  }

  end(last?: SseFrame): Promise<void> {
    return this.writer.end(last ? formatSse(last) : undefined);
  }
}

export function formatSse(frame: SseFrame): string {
  let out = '';
  if (frame.event) out += `event: ${frame.event}\n`;
  if (frame.id !== undefined) out += `id: ${frame.id}\n`;
  const data = typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data);
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/**
 * The first frame a reconnecting client wants: the one after the integer id
 * it names in `Last-Event-ID` (or a query fallback, for clients that cannot
 * set headers); undefined when it names none.
 */
export function resumePosition(ctx: Koa.Context, queryName = 'last_event_id'): number | undefined {
  const raw = (ctx.get('last-event-id') || queryParam(ctx, queryName) || '').trim();
  return /^\d{1,15}$/.test(raw) ? Number(raw) + 1 : undefined;
}
