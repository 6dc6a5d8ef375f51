import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Engine } from '../../src/engine/engine.js';
import type { Principal } from '../../src/engine/records.js';
import type { TaskEvent } from '../../src/engine/events.js';
import { NdjsonWriter } from '../../src/stream/ndjson.js';
import { SseWriter, formatSse, resumePosition } from '../../src/stream/sse.js';
import type { StreamHub } from '../../src/stream/stream-hub.js';
import type { ViewFold, ViewSpec } from '../../src/stream/task-view.js';
import { ViewRegistry } from '../../src/stream/view-registry.js';

/** The canonical log itself as a view: one frame per event, then a closing one. */
const eachEvent: ViewFold<TaskEvent | 'end'> = { apply: (event) => (event.type === 'task.finished' ? [event, 'end'] : [event]) };

const SSE_VIEW: ViewSpec<TaskEvent | 'end', typeof eachEvent, string> = {
  start: () => eachEvent,
  render: (frame, position) =>
    frame === 'end' ? formatSse({ event: 'close', id: position, data: 'close' }) : formatSse({ event: frame.type, id: position, data: frame.data }),
};

const NDJSON_VIEW: ViewSpec<TaskEvent | 'end', typeof eachEvent, string> = {
  start: () => eachEvent,
  render: (frame, position) => `${JSON.stringify(frame === 'end' ? { type: 'end' } : { i: position, type: frame.type, data: frame.data })}\n`,
};

/**
 * A minimal HTTP front for the shared stream writers, so they can be tested
 * with real clients before any dialect uses them: `/sse/<task>` and
 * `/ndjson/<task>` follow a task's log the way a dialect does.
 */
export async function startStreamApp(engine: Engine, hub: StreamHub, principal: Principal): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const app = new Koa();
  const sseViews = new ViewRegistry(engine).create(SSE_VIEW);
  const ndjsonViews = new ViewRegistry(engine).create(NDJSON_VIEW);
  app.use(async (ctx) => {
    const match = /^\/(sse|ndjson)\/([^/]+)$/.exec(ctx.path);
    if (!match) {
      ctx.status = 404;
      return;
    }
    const [, style, taskId] = match as unknown as [string, string, string];
    const [views, writer] = style === 'sse' ? [sseViews, new SseWriter(ctx, hub).writer] : [ndjsonViews, new NdjsonWriter(ctx, hub).writer];
    const from = style === 'sse' ? (resumePosition(ctx) ?? 0) : Number(ctx.query.from ?? 0);
    const { view } = await views.current(principal, taskId);
    if (!(await views.attach(principal, view, from, writer))) await writer.end();
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
