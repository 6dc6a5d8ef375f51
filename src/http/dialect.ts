import type Koa from 'koa';
import type { Config, DialectName } from '../config/types.js';
import type { Engine } from '../engine/engine.js';
import type { EngineError } from '../engine/errors.js';
import type { Logger } from '../log.js';
import type { StreamHub } from '../stream/stream-hub.js';
import type { BearerAuth } from './bearer-auth.js';

/**
 * A handler runs one operation of a dialect. What it returns is wrapped in the
 * dialect's success envelope (in one place: the mount), with the route's
 * status. A handler that writes the response itself (a stream, a download)
 * returns `undefined` after setting `ctx.body` or taking over the response.
 */
export type Handler = (ctx: Koa.Context) => Promise<unknown>;

/** One line of a dialect's route table (`config/dialects/<name>.yaml`). */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path inside the dialect's mount, in @koa/router syntax (`/tasks/:id`). */
  path: string;
  operation: string;
  /** Success status when it is not 200. */
  status?: number;
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
}

/** What a dialect is built from; dialects get everything through here, never from globals. */
export interface DialectDeps {
  engine: Engine;
  config: Config;
  logger: Logger;
  streams: StreamHub;
  bearer: BearerAuth;
}

export type DialectFactory = (deps: DialectDeps) => Dialect;
