import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Store } from '../src/store/store.js';
import { resumePosition, SseWriter } from '../src/stream/sse.js';
import { StreamHub } from '../src/stream/stream-hub.js';

export interface IdleStreamServer {
  readonly port: number;
  readonly hub: StreamHub;
  /** Store subscriptions currently open (one per connected stream). */
  subscriptions(): number;
  close(): Promise<void>;
}

/** The gateway's default; idle streams in the bench see no heartbeat during a measurement. */
const HEARTBEAT_MS = 15_000;
/** The gateway's default: a bench client that stops reading is cut as a real one would be. */
const STALL_MS = 30_000;

/**
 * A minimal Koa server on 127.0.0.1 with one SSE route, `GET /logs/:id/events`,
 * built from the project's own stream stack exactly as a dialect route uses
 * it: `SseWriter` on the shared `StreamHub`, fed by `store.subscribe` (what
 * `followTask` does under the engine's principal checks), with back-pressure
 * and cleanup on disconnect. No dialect route serves a stream yet, so the
 * bench cannot use the real gateway; this is the same per-stream machinery.
 */
export async function startIdleStreamServer(store: Store): Promise<IdleStreamServer> {
  const hub = new StreamHub({ heartbeatMs: HEARTBEAT_MS, stallMs: STALL_MS, perUser: Number.MAX_SAFE_INTEGER });
  let open = 0;
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx) => {
    const match = /^\/logs\/([\w.-]+)\/events$/.exec(ctx.path);
    const logId = match?.[1];
    if (ctx.method !== 'GET' || !logId || !(await store.logInfo(logId))) {
      ctx.status = 404;
      return;
    }
    const sse = new SseWriter(ctx, hub);
    const subscription = store.subscribe(logId, resumePosition(ctx) ?? 0, (event) =>
      sse.send({ id: event.offset, event: event.type, data: event }),
    );
    open++;
    // Like followTask, the handler stays pending for the life of the stream,
    // so the Koa context is held as long as it is in a real route.
    await new Promise<void>((resolve) => {
      sse.writer.onClose(() => {
        subscription.close();
        open--;
        resolve();
      });
      void subscription.failed.then(() => sse.end());
    });
  });

  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    hub,
    subscriptions: () => open,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await hub.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
