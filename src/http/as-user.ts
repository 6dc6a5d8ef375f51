import type Koa from 'koa';
import type { Principal } from '../engine/records.js';
import { userOf } from './credentials.js';
import type { Handler } from './dialect.js';

export type AuthedHandler = (ctx: Koa.Context, principal: Principal) => Promise<unknown>;

/** A handler for the user the route's credentials proved (routes whose auth proves a user). */
export function asUser(run: AuthedHandler): Handler {
  return async (ctx, caller) => run(ctx, userOf(caller));
}
