import { rm } from 'node:fs/promises';
import type Koa from 'koa';
import type { Principal } from '../../engine/records.js';
import type { Handler } from '../../http/dialect.js';
import { bearerToken, type BearerAuth } from '../../http/bearer-auth.js';
import { INVALID_TOKEN, MISSING_TOKEN, v1Error } from './errors.js';

export type AuthedHandler = (ctx: Koa.Context, principal: Principal) => Promise<unknown>;

/**
 * Every operation of this API needs `Authorization: Bearer <token>` (no query
 * or cookie forms). Which credentials a token may be (static user tokens
 * today, OAuth2 access tokens later) is the shared `BearerAuth`'s business:
 * this dialect only asks it.
 */
export async function authenticate(ctx: Koa.Context, bearer: BearerAuth): Promise<Principal> {
  const token = bearerToken(ctx);
  if (!token) throw v1Error('unauthenticated', MISSING_TOKEN);
  const principal = await bearer.verify(token);
  if (!principal) throw v1Error('unauthenticated', INVALID_TOKEN);
  return principal;
}

/**
 * A handler that runs only for an authenticated caller. The body parser runs
 * before any handler, so a multipart body has already been spooled to
 * temporary files by then; they are removed here whatever the outcome
 * (refused caller, bad request or stored upload), so nothing piles up.
 */
export function guarded(bearer: BearerAuth, run: AuthedHandler): Handler {
  return async (ctx) => {
    try {
      const principal = await authenticate(ctx, bearer);
      return await run(ctx, principal);
    } finally {
      await removeSpooledFiles(ctx);
    }
  };
}

async function removeSpooledFiles(ctx: Koa.Context): Promise<void> {
  const files = ctx.request.files;
  if (!files) return;
  for (const entry of Object.values(files)) {
    for (const file of Array.isArray(entry) ? entry : [entry]) {
      if (file?.filepath) await rm(file.filepath, { force: true }).catch(() => undefined);
    }
  }
}

/** A path parameter of the matched route (`/tasks/{task_id}`). */
export function pathParam(ctx: Koa.Context, name: string): string {
  const params = (ctx as Koa.Context & { params?: Record<string, string> }).params;
  return params?.[name] ?? '';
}

/** A query parameter as one string (the first, when repeated); `undefined` when absent. */
export function queryParam(ctx: Koa.Context, name: string): string | undefined {
  const value = ctx.query[name];
  return Array.isArray(value) ? value[0] : value;
}
