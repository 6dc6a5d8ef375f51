import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Engine } from '../../src/engine/engine.js';
import type { Principal } from '../../src/engine/records.js';
import { followTask } from '../../src/stream/follow.js';
import { NdjsonWriter } from '../../src/stream/ndjson.js';
import { SseWriter, resumeOffset } from '../../src/stream/sse.js';
import type { StreamHub } from '../../src/stream/stream-hub.js';

/**
 * A minimal HTTP front for the shared stream writers, so they can be tested
 * with real clients before any dialect uses them: `/sse/<task>` and
 * `/ndjson/<task>` follow a task's log the way a dialect does.
 */
export async function startStreamApp(engine: Engine, hub: StreamHub, principal: Principal): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const app = new Koa();
  app.use(async (ctx) => {
    const match = /^\/(sse|ndjson)\/([^/]+)$/.exec(ctx.path);
    if (!match) {
      ctx.status = 404;
      return;
    }
    const [, style, taskId] = match as unknown as [string, string, string];
    if (style === 'sse') {
      const sse = new SseWriter(ctx, hub);
      await followTask({
        engine,
        principal,
        taskId,
        from: resumeOffset(ctx) ?? 0,
        writer: sse.writer,
        onEvent: (event) => sse.send({ event: event.type, id: event.offset, data: event.data }),
        onEnd: () => sse.send({ event: 'close', data: 'close' }),
      });
    } else {
      const nd = new NdjsonWriter(ctx, hub);
      await followTask({
        engine,
        principal,
        taskId,
        from: Number(ctx.query.from ?? 0),
        writer: nd.writer,
        onEvent: (event) => nd.line({ i: event.offset, type: event.type, data: event.data }),
        onEnd: () => nd.line({ type: 'end' }),
      });
    }
  });
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
