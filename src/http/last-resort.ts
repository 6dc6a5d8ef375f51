import type Koa from 'koa';
import { clip } from '../engine/errors.js';
import type { Logger } from '../log.js';

/**
 * The outermost middleware of every listener. Dialect errors are rendered
 * inside each route; anything that still escapes (a bug in shared middleware)
 * is logged with its stack and answered with a generic JSON 500, so no
 * request can reach Koa's default handler or end the process. A response
 * already under way is cut, since its framing cannot be trusted any more.
 */
export function lastResort(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      logger.error({ err, method: ctx.method, path: clip(ctx.path) }, 'unhandled error');
      if (ctx.headerSent || !ctx.writable) {
        ctx.req.socket.destroy();
        return;
      }
      ctx.status = 500;
      ctx.body = { error: 'internal server error' };
    }
  };
}
