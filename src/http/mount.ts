import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Koa from 'koa';
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import type { Config } from '../config/types.js';
import { EngineError } from '../engine/errors.js';
import type { Logger } from '../log.js';
import type { Dialect, ErrorReply, RouteTable } from './dialect.js';
import { toEngineError } from './errors.js';
import { removeSpooledUploads } from './request-params.js';

export interface Mount {
  dialect: Dialect;
  table: RouteTable;
  /** Path prefix on this listener. */
  prefix: string;
}

/**
 * Checks that a dialect's handlers and its route table match one to one.
 * Run at boot: a route nobody answers, or code no route reaches, is a bug.
 */
export function checkCoverage(dialect: Dialect, table: RouteTable): string[] {
  const problems: string[] = [];
  const operations = new Set(table.routes.map((r) => r.operation));
  for (const route of table.routes) {
    if (!dialect.handlers[route.operation]) problems.push(`${dialect.name}: route ${route.method} ${route.path} → ${route.operation} has no handler`);
  }
  for (const operation of Object.keys(dialect.handlers)) {
    if (!operations.has(operation)) problems.push(`${dialect.name}: handler ${operation} has no route`);
  }
  return problems;
}

/** Renders an error in a dialect's shape onto the response. */
export function sendError(ctx: Koa.Context, dialect: Dialect, error: EngineError): void {
  const reply: ErrorReply = dialect.renderError(error, ctx);
  ctx.status = reply.status;
  ctx.body = reply.body;
  for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
}

/**
 * One router per mounted dialect: its error middleware first (so body-parser
 * failures are rendered in the dialect's shape too), then body parsing with
 * the configured limits and the removal of spooled uploads once the request
 * is done, then one route per table line. The success envelope
 * is applied here and nowhere else.
 */
export function buildRouter(mount: Mount, config: Config, logger: Logger): Router {
  const { dialect, table, prefix } = mount;
  const router = new Router(prefix ? { prefix } : {});
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const error = toEngineError(err, logger);
      if (ctx.respond === false || ctx.headerSent) {
        logger.warn({ err, dialect: dialect.name }, 'error after the response started');
        return;
      }
      sendError(ctx, dialect, error);
    }
  });
  router.use(
    koaBody({
      multipart: true,
      jsonLimit: config.server.body_limit,
      formLimit: config.server.body_limit,
      textLimit: config.server.body_limit,
      formidable: {
        maxFileSize: config.server.upload_limit_bytes,
        maxTotalFileSize: config.server.upload_limit_bytes,
        uploadDir: spoolDir(config),
      },
      onError: (err) => {
        throw err;
      },
    }),
  );
  router.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      await removeSpooledUploads(ctx);
    }
  });
  for (const route of table.routes) {
    const handler = dialect.handlers[route.operation]!;
    router.register(route.path, [route.method], async (ctx) => {
      ctx.state.route = route;
      const result = await handler(ctx);
      if (result === undefined || ctx.respond === false) return;
      ctx.status = route.status ?? 200;
      ctx.body = dialect.envelope(result, ctx);
    });
  }
  return router;
}

/**
 * Where multipart uploads are spooled while a request is handled: inside the
 * data folder (same disk as the workspace, not a shared system folder), and
 * emptied by the mount after each request.
 */
export function spoolDir(config: Config): string {
  const dir = join(config.store.data_dir, 'spool');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A 404 in the shape of the dialect whose prefix + base is the longest match of the path. */
export function notFoundFallback(mounts: Mount[]): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined || ctx.respond === false || ctx.status !== 404) return;
    const owner = mounts
      .filter((m) => ctx.path.startsWith(m.prefix + m.table.base))
      .sort((a, b) => (b.prefix + b.table.base).length - (a.prefix + a.table.base).length)[0];
    const error = new EngineError('not_found', `no route for ${ctx.method} ${ctx.path}`);
    if (owner) sendError(ctx, owner.dialect, error);
    else {
      ctx.status = 404;
      ctx.body = { error: error.message };
    }
  };
}
