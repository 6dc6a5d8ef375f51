import type Koa from 'koa';
import { baseOf, longestBaseFirst, type Mount } from './mount.js';

/** A mounted dialect's routes as one middleware (its router's `routes()`), which passes on what it does not match. */
export interface MountedRoutes {
  mount: Mount;
  routes: Koa.Middleware;
}

/**
 * Runs the routes of the mount a path most likely belongs to first (the
 * longest prefix + base the path starts with), then the others in mount
 * order. The answer is the one trying every mount in turn would give (two
 * mounts never serve the same route: the boot refuses collisions), without
 * matching a request against every route of every API: an Agents v1 poll
 * (`/api/v1/...`) never walks Sage's hundred `/api/...` routes.
 */
export function dispatchByPrefix(all: MountedRoutes[]): Koa.Middleware {
  const longestFirst = longestBaseFirst(all.map((m) => m.mount));
  const chains = new Map<Mount, Koa.Middleware[]>(all.map((m) => [m.mount, [m.routes, ...all.filter((o) => o !== m).map((o) => o.routes)]]));
  const inOrder = all.map((m) => m.routes);
  return (ctx, next) => {
    // Case-sensitive, as the routes match: a wrong-case path tries every mount and gets its 404 from the fallback.
    const owner = longestFirst.find((m) => ctx.path.startsWith(baseOf(m)));
    return runInTurn(owner ? chains.get(owner)! : inOrder, 0, ctx, next);
  };
}

function runInTurn(chain: Koa.Middleware[], i: number, ctx: Koa.Context, next: Koa.Next): Promise<unknown> {
  if (i === chain.length) return next();
  return Promise.resolve(chain[i]!(ctx, () => runInTurn(chain, i + 1, ctx, next)));
}
