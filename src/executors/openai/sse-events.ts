import { createParser, type EventSourceMessage } from 'eventsource-parser';

/**
 * The server-sent events of a response body, in order. Comments (`: keep-alive`)
 * and blank lines never surface; they still count as activity through
 * `onBytes`, which runs for every body chunk received. Leaving the loop early
 * destroys the body (and with it the connection).
 */
export async function* sseEvents(
  body: AsyncIterable<Uint8Array>,
  onBytes: () => void,
): AsyncGenerator<EventSourceMessage> {
  const decoder = new TextDecoder();
  const ready: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => ready.push(event) });
  for await (const bytes of body) {
    onBytes();
    parser.feed(decoder.decode(bytes, { stream: true }));
    while (ready.length > 0) yield ready.shift()!;
  }
  // A last event without its closing blank line still counts.
  parser.feed(`${decoder.decode()}\n\n`);
  while (ready.length > 0) yield ready.shift()!;
}
