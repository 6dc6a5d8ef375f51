import type Koa from 'koa';
import type { Store } from '../store/store.js';

/**
 * `/healthz` (and `/health`, for Sage's clients): the process answers (liveness). `/readyz`: the store answers
 * too, this instance has written its bootstrap and signing key into the data
 * the store holds now (not a Redis that came back empty and is still being
 * seeded again), and the gateway is not shutting down (readiness), so a load
 * balancer stops sending traffic before the listener closes.
 */
export function healthRoutes(store: Store, isClosing: () => boolean, isSeeded: () => Promise<boolean>): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    // The check Sage's own clients (its IM bridge) make, in the shape of Sage's health answer.
    if (ctx.path === '/health') {
      ctx.body = { status: 'healthy', timestamp: new Date().toISOString(), service: 'switchboard' };
      return;
    }
    if (ctx.path === '/readyz') {
      if (isClosing()) {
        ctx.status = 503;
        ctx.body = { status: 'shutting down' };
        return;
      }
      try {
        await store.ping();
        if (await isSeeded()) {
          ctx.body = { status: 'ready', store: store.kind };
        } else {
          ctx.status = 503;
          ctx.body = { status: 'bootstrapping', store: store.kind };
        }
      } catch (err) {
        ctx.status = 503;
        ctx.body = { status: 'unavailable', store: store.kind, error: (err as Error).message };
      }
      return;
    }
    return next();
  };
}
