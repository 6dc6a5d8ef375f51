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

  /** Throws (before anything is sent) when `owner` has too many streams open. */
  constructor(
    ctx: Koa.Context,
    hub: StreamHub,
    private readonly serialize: (value: unknown) => string = JSON.stringify,
    options: { owner?: string; contentType?: string; heartbeatMs?: number } = {},
  ) {
    this.writer = new StreamWriter(ctx, hub, {
      contentType: options.contentType ?? 'text/plain; charset=utf-8',
      heartbeat: ': heartbeat\n\n',
      owner: options.owner,
      heartbeatMs: options.heartbeatMs,
    });
  }

  line(value: unknown): Promise<void> {
    return this.writer.write(`${this.serialize(value)}\n`);
  }

  end(last?: unknown): Promise<void> {
    return this.writer.end(last === undefined ? undefined : `${this.serialize(last)}\n`);
  }
}
