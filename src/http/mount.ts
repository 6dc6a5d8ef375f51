import type Koa from 'koa';
import Router from '@koa/router';
import type { Config } from '../config/types.js';
import { EngineError, clip } from '../engine/errors.js';
import type { UserGauge } from '../engine/user-gauge.js';
import type { Logger } from '../log.js';
import type { StreamWriter } from '../stream/stream-writer.js';
import { bodyStage } from './body.js';
import type { Caller, Credentials } from './credentials.js';
import type { Dialect, ErrorReply, RequestView, RouteSpec, RouteTable } from './dialect.js';
import { toEngineError } from './errors.js';

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
  const reply: ErrorReply = dialect.renderError(bounded(error), ctx);
  ctx.status = reply.status;
  ctx.body = reply.body;
  for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.set(name, value);
}

/** Longest error message a client is sent; messages quote input through `quote()`, this is the backstop. */
const MESSAGE_LIMIT = 512;

/** The error with its message (and any client-facing text in its detail) cut to `MESSAGE_LIMIT`. */
function bounded(error: EngineError): EngineError {
  const long = (v: unknown) => typeof v === 'string' && v.length > MESSAGE_LIMIT;
  if (!long(error.message) && !Object.values(error.detail).some(long)) return error;
  const cut = (v: unknown) => (long(v) ? `${(v as string).slice(0, MESSAGE_LIMIT)}…` : v);
  const detail = Object.fromEntries(Object.entries(error.detail).map(([k, v]) => [k, cut(v)]));
  return new EngineError(error.code, cut(error.message) as string, detail);
}

/** What the mount needs besides the dialect: config, logs, the gateway's credential schemes and upload gauge. */
export interface MountDeps {
  config: Config;
  logger: Logger;
  credentials: Credentials;
  /** Each user's multipart requests in progress (`limits.uploads_per_user`). */
  uploads: UserGauge;
}

/**
 * One router per mounted dialect. Paths match case-sensitively, as on the
 * original servers (`/API/V3/...` is not a bit-Agent path). Every route runs
 * its own chain, attached to the route itself so it runs whenever the route
 * matches: the dialect's error boundary first, then the credentials the
 * route declares (before a byte of the body is read, so a request without
 * valid credentials is refused before its upload reaches the disk), then the
 * body stage the route declares, then the handler with the proven caller.
 * The success envelope is applied here and nowhere else.
 */
export function buildRouter(mount: Mount, deps: MountDeps): Router {
  const { dialect, table, prefix } = mount;
  const router = new Router({ sensitive: true, ...(prefix ? { prefix } : {}) });
  const boundary = errorBoundary(dialect, deps.logger);
  for (const route of table.routes) {
    const handler = dialect.handlers[route.operation]!;
    router.register(route.path, [route.method], [
      boundary,
      authenticate(route, deps.credentials),
      ...bodyStage(route, deps.config, deps.uploads),
      async (ctx) => {
        ctx.state.route = route;
        const result = await handler(ctx, ctx.state.caller as Caller);
        if (result === undefined || ctx.respond === false) return;
        ctx.status = route.status ?? 200;
        ctx.body = dialect.envelope(result, ctx);
      },
    ]);
  }
  return router;
}

function authenticate(route: RouteSpec, credentials: Credentials): Koa.Middleware {
  const places = { tokenQuery: route.tokenQuery };
  return async (ctx, next) => {
    ctx.state.caller = await credentials.resolve(ctx, route.auth, places);
    await next();
  };
}

/**
 * Renders whatever a route throws in the dialect's shape. Once a stream's
 * head is sent, the dialect's `streamError` tells it inside the stream and
 * the stream is ended cleanly.
 */
function errorBoundary(dialect: Dialect, logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      // The gateway already answered (a body that went idle got its 408): nothing more to say.
      if (ctx.res.writableEnded) return;
      const error = toEngineError(err, logger);
      if (ctx.respond === false || ctx.headerSent) {
        const stream = ctx.state.stream as StreamWriter | undefined;
        if (stream && !stream.closed) {
          if (dialect.streamError) await dialect.streamError(bounded(error), stream);
          await stream.end();
        } else logger.warn({ err, dialect: dialect.name }, 'error after the response started');
        return;
      }
      sendError(ctx, dialect, error);
    }
  };
}

/**
 * The mount a path belongs to: the longest prefix + base it starts with,
 * compared without case, so a client that got the case of a path wrong still
 * reads its 404 in its own API's shape.
 */
export function ownerOf(mounts: Mount[], path: string): Mount | undefined {
  const lower = path.toLowerCase();
  return longestBaseFirst(mounts).find((m) => lower.startsWith(baseOf(m).toLowerCase()));
}

/** Where a mount's routes start: its prefix and its table's base (`/api` + `/v3/openapi`). */
export const baseOf = (mount: Mount): string => mount.prefix + mount.table.base;

/** The mounts, the one with the longest base first: the first whose base a path starts with owns it. */
export function longestBaseFirst<M extends Mount>(mounts: readonly M[]): M[] {
  return [...mounts].sort((a, b) => baseOf(b).length - baseOf(a).length);
}

/** A 404 in the shape of the dialect the path belongs to (`ownerOf`); plain JSON for any other path. */
export function notFoundFallback(mounts: Mount[]): Koa.Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined || ctx.respond === false || ctx.status !== 404) return;
    const error = new EngineError('not_found', `no route for ${ctx.method} ${clip(ctx.path)}`);
    const owner = ownerOf(mounts, ctx.path);
    if (owner) sendError(ctx, owner.dialect, error);
    else {
      ctx.status = 404;
      ctx.body = { error: error.message };
    }
  };
}

/** An error answer as bytes, for the places that write to Node directly (no Koa context). */
export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Renders an error for a path in its owner's shape (`ownerOf`), plain `{error}` JSON for any other path. */
export function renderForPath(mounts: Mount[], error: EngineError, request: RequestView): RawReply {
  const owner = ownerOf(mounts, request.path);
  const reply: ErrorReply = owner ? owner.dialect.renderError(bounded(error), request) : { status: error.status, body: { error: error.message } };
  return {
    status: reply.status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...reply.headers },
    body: JSON.stringify(reply.body),
  };
}
