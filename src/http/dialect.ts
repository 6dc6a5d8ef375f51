import type Koa from 'koa';
import type { ConcurrencyPolicy, Config, DialectName } from '../config/types.js';
import type { Engine } from '../engine/engine.js';
import type { EngineError } from '../engine/errors.js';
import type { Logger } from '../log.js';
import type { ViewRegistry } from '../stream/view-registry.js';
import type { StreamHub } from '../stream/stream-hub.js';
import type { StreamWriter } from '../stream/stream-writer.js';
import type { Caller, Credentials, SchemeName } from './credentials.js';

/**
 * A handler runs one operation of a dialect, for the caller the route's
 * `auth` proved (the mount checks credentials before it reads a body; no
 * handler calls an auth function). What it returns is wrapped in the
 * dialect's success envelope (in one place: the mount), with the route's
 * status. A handler that writes the response itself (a stream, a download)
 * returns `undefined` after setting `ctx.body` or taking over the response.
 */
export type Handler = (ctx: Koa.Context, caller: Caller) => Promise<unknown>;

/** How a route's request body is read: not at all, a small JSON/form/text body, or multipart uploads. */
export type BodyKind = 'none' | 'json' | 'multipart';

/** One line of a dialect's route table (`config/dialects/<name>.yaml`). */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path inside the dialect's mount, in @koa/router syntax (`/tasks/:id`). */
  path: string;
  operation: string;
  /** Success status when it is not 200. */
  status?: number;
  /** Credential kinds accepted, in the order they are tried (`none`: public). */
  auth: SchemeName[];
  body: BodyKind;
  /** Query parameter that may carry the bearer token (for EventSource and download links). */
  tokenQuery?: string;
  /** Largest JSON/form body of this route, instead of `server.body_limit`. */
  bodyLimit?: string;
  /** The policy of the tasks this route starts in a busy conversation, instead of `engine.concurrency`. */
  concurrency?: ConcurrencyPolicy;
}

/** The route a request matched (set by the mount before the handler runs). */
export function routeOf(ctx: Koa.Context): RouteSpec {
  return ctx.state.route as RouteSpec;
}

export interface RouteTable {
  dialect: DialectName;
  /** Every route of the dialect starts with this (used to attribute unknown paths to a dialect). */
  base: string;
  routes: RouteSpec[];
}

export interface ErrorReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * What an error renderer may read of the request: also available for
 * requests Node refused before Koa saw them (a Koa context satisfies it).
 */
export interface RequestView {
  readonly method: string;
  readonly path: string;
  /** A request header, '' when absent. */
  get(header: string): string;
}

export interface Dialect {
  readonly name: DialectName;
  /** Handlers by operation name; every route needs one and every handler a route. */
  readonly handlers: Readonly<Record<string, Handler>>;
  /** The success envelope around a handler's result. */
  envelope(data: unknown, ctx: Koa.Context): unknown;
  /** Any error as this dialect's clients expect to see it. */
  renderError(error: EngineError, request: RequestView): ErrorReply;
  /**
   * Tells an error inside a stream whose head is already sent, in that
   * stream's own style (an SSE `error` frame, an NDJSON error line). The
   * mount ends the stream after it. Without it the stream just ends.
   */
  streamError?(error: EngineError, stream: StreamWriter): Promise<void>;
}

/** What a dialect is built from; dialects get everything through here, never from globals. */
export interface DialectDeps {
  engine: Engine;
  config: Config;
  logger: Logger;
  streams: StreamHub;
  /** Where a dialect makes its views of tasks (the frames its streams and polls read). */
  views: ViewRegistry;
  /** The gateway's credential schemes; a dialect registers those it issues. */
  credentials: Credentials;
  /**
   * Signs the request's browser out of the gateway: its web login (the
   * `sage_session` cookie, ended and cleared) and its session at the
   * authorization server, so no page signs it in again without a password.
   */
  signOut(ctx: Koa.Context): Promise<void>;
}

export type DialectFactory = (deps: DialectDeps) => Dialect;
