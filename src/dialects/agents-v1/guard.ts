import type Koa from 'koa';
import type { Principal } from '../../engine/records.js';
import { userOf } from '../../http/credentials.js';
import type { Handler } from '../../http/dialect.js';

export type AuthedHandler = (ctx: Koa.Context, principal: Principal) => Promise<unknown>;

/** A handler for the user the route's credentials proved (every route of this API takes a user's bearer token). */
export function asUser(run: AuthedHandler): Handler {
  return async (ctx, caller) => run(ctx, userOf(caller));
}
