import type { DialectName } from '../config/types.js';
import { notImplemented } from '../engine/errors.js';
import type { Handler } from '../http/dialect.js';
import { loadRouteTable } from '../http/route-table.js';

/**
 * One handler per operation of a dialect's route table, each answering
 * "not implemented" (501 in the dialect's own error shape). A dialect spreads
 * this map first and overrides the operations it implements, so the mount's
 * one-to-one check of routes and handlers holds at every step of the work.
 * Read once, when the dialect is built, never per request.
 */
export function notImplementedHandlers(dialect: DialectName): Record<string, Handler> {
  const handlers: Record<string, Handler> = {};
  for (const route of loadRouteTable(dialect).routes) {
    const message = `${dialect} ${route.method} ${route.path} is not implemented yet`;
    handlers[route.operation] = async () => {
      throw notImplemented(message);
    };
  }
  return handlers;
}
