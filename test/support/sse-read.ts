import { createParser } from 'eventsource-parser';

export interface ReadFrame {
  event: string;
  data: string;
  /** The frame's own `id:`, "" when it has none. */
  id: string;
}

/**
 * GETs an SSE stream and reads it to the end of the body (the server ends a
 * finished task's stream), with `eventsource-parser`: every frame as sent,
 * ids included, so a test sees exactly what one connection delivered.
 */
export async function readSse(url: string, headers: Record<string, string>): Promise<{ status: number; frames: ReadFrame[] }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  const frames: ReadFrame[] = [];
  const parser = createParser({ onEvent: (m) => frames.push({ event: m.event ?? 'message', data: m.data, id: m.id ?? '' }) });
  parser.feed(await res.text());
  return { status: res.status, frames };
}
