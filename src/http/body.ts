import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Koa from 'koa';
import { koaBody } from 'koa-body';
import type { Config } from '../config/types.js';
import type { UserGauge } from '../engine/user-gauge.js';
import { userKey } from '../engine/directory.js';
import type { Caller } from './credentials.js';
import type { RouteSpec } from './dialect.js';
import { removeSpooledUploads } from './request-params.js';

/**
 * The body stage of a route, run only after its credentials were checked:
 * nothing for `none`; JSON, form or text up to the route's (or the
 * configured) limit for `json`; for `multipart`, a place among the caller's
 * uploads in progress (429 beyond), then the parts spooled to disk within the
 * upload limit and removed once the request is done.
 */
export function bodyStage(route: RouteSpec, config: Config, uploads: UserGauge): Koa.Middleware[] {
  const limit = route.bodyLimit ?? config.server.body_limit;
  const limits = { jsonLimit: limit, formLimit: limit, textLimit: limit };
  const fail = (err: Error) => {
    throw err;
  };
  if (route.body === 'none') return [];
  if (route.body === 'json') return [koaBody({ ...limits, multipart: false, onError: fail })];
  const multipart = koaBody({
    ...limits,
    multipart: true,
    formidable: {
      maxFileSize: config.server.upload_limit_bytes,
      maxTotalFileSize: config.server.upload_limit_bytes,
      uploadDir: spoolDir(config),
    },
    onError: fail,
  });
  return [uploadPlace(uploads), spoolCleanup, multipart];
}

/** Counts a user's multipart requests from their first byte to their answer. */
function uploadPlace(uploads: UserGauge): Koa.Middleware {
  return async (ctx, next) => {
    const caller = ctx.state.caller as Caller;
    if (caller.kind !== 'user') return next();
    const release = uploads.take(userKey(caller.principal.tenant, caller.principal.userId));
    try {
      await next();
    } finally {
      release();
    }
  };
}

const spoolCleanup: Koa.Middleware = async (ctx, next) => {
  try {
    await next();
  } finally {
    await removeSpooledUploads(ctx);
  }
};

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
