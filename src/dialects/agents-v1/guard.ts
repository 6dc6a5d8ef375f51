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

/** A handler that runs only for an authenticated caller. */
export function guarded(bearer: BearerAuth, run: AuthedHandler): Handler {
  return async (ctx) => run(ctx, await authenticate(ctx, bearer));
}
