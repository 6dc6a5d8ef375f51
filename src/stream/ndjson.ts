import type Koa from 'koa';
import type { StreamHub } from './stream-hub.js';
import { StreamWriter } from './stream-writer.js';

/**
 * A text stream of one JSON document per line. The serializer is the
 * dialect's (byte-level details such as separators differ between APIs);
 * heartbeats are comment lines that line-oriented clients skip.
 */
export class NdjsonWriter {
  readonly writer: StreamWriter;

  constructor(
    ctx: Koa.Context,
    hub: StreamHub,
    private readonly serialize: (value: unknown) => string = JSON.stringify,
    contentType = 'text/plain; charset=utf-8',
  ) {
    this.writer = new StreamWriter(ctx, hub, { contentType, heartbeat: ': heartbeat\n\n' });
  }

  line(value: unknown): Promise<void> {
    return this.writer.write(`${this.serialize(value)}\n`);
  }

  end(last?: unknown): Promise<void> {
    return this.writer.end(last === undefined ? undefined : `${this.serialize(last)}\n`);
  }
}
